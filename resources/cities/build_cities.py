"""Build the bundled place table and the grammar's ``cities`` list.

    .venv/bin/python resources/cities/build_cities.py [--source cpca-0.5.5-py3-none-any.whl]

Reads the administrative divisions of China (code, name, longitude, latitude) from the ``cpca``
package's ``cpca/resources/adcodes.csv`` (MIT licence; without ``--source`` the wheel is fetched
with ``pip download --no-deps cpca==0.5.5``), adds the hand-kept places of ``extra_cities.tsv``
(Taiwan's cities, cities abroad) and writes, beside this script:

- ``zh_cities.tsv``: adcode, name, short name, pinyin (pypinyin), latitude, longitude, level,
  province, parent city;
- ``NOTICE``: the source, its checksum and its licence text;

and ``resources/grammar/zh-CN/lists/cities.txt``: every name that finds its place (full and short
names, the aliases of ``aliases.tsv``), by province (counties only with ``--with-counties``:
the speech graph grows by about 210 arcs per list item). The names follow the rules of
``app.actions.cities.CityTable``, which this script uses.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from app.actions.cities import COLUMNS, City, CityTable, read_aliases, read_table  # noqa: E402

CPCA = "cpca==0.5.5"
CPCA_CSV = "cpca/resources/adcodes.csv"
CPCA_NATIONS = "cpca/resources/56_nations.csv"
CPCA_LICENSE = "cpca-0.5.5.dist-info/LICENSE"
CPCA_SHA256 = "66948fa1519ba053f22b8c2d05c897c9b19c44cdc3044e464b52f0143ff418fe"
LIST_FILE = ROOT / "resources" / "grammar" / "zh-CN" / "lists" / "cities.txt"
# Names that are no place anyone asks the weather for, or that name several places equally.
SKIP = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "中沙群岛的岛礁及其海域",
        "城区", "郊区", "矿区", "东区", "西区", "市中区", "城中区", "新城区", "城关区"}
PLAIN = ("特别行政区", "林区", "新区", "特区", "地区", "省", "市", "区", "县", "盟", "旗")
AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")


def fetch_wheel(folder: Path) -> Path:
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder), CPCA]
    subprocess.run(argv, check=True, timeout=300)
    return next(folder.glob("cpca-*.whl"))


def short_name(name: str, nations: Iterable[str]) -> str:
    """北京市 → 北京, 海淀区 → 海淀, 延边朝鲜族自治州 → 延边, 内蒙古自治区 → 内蒙古; a stem of
    fewer than two characters is no name (忠县 stays 忠县)."""
    for suffix in AUTONOMOUS:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            peoples = sorted({n for p in nations for n in (p, p.removesuffix("族"))}, key=len,
                             reverse=True)
            stripped = True
            while stripped:
                stripped = False
                for people in peoples:
                    if stem.endswith(people) and len(stem) - len(people) >= 2:
                        stem, stripped = stem[: -len(people)], True
                        break
            return stem
    for suffix in PLAIN:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def level_of(adcode: str) -> str:
    if adcode[2:] == "0" * 10:
        return "province"
    return "city" if adcode[4:] == "0" * 8 else "county"


def read_source(wheel: Path) -> tuple[list[dict[str, str]], list[str], str, str]:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(CPCA_CSV)
        nations = archive.read(CPCA_NATIONS).decode("utf-8").split()
        licence = archive.read(CPCA_LICENSE).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    return rows, nations, licence, hashlib.sha256(raw).hexdigest()


def pinyin_of(name: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.TONE))


def cpca_cities(rows: list[dict[str, str]], nations: list[str]) -> list[City]:
    by_code = {row["adcode"]: row for row in rows}
    shorts = {code: short_name(row["name"], nations) for code, row in by_code.items()}
    cities = []
    for code, row in sorted(by_code.items()):
        if row["name"] in SKIP or not row["latitude"] or not row["longitude"]:
            continue
        level = level_of(code)
        province = shorts[code[:2] + "0" * 10]
        prefecture = code[:4] + "0" * 8
        parent = ""
        if level == "county":
            parent_row = by_code.get(prefecture)
            usable = parent_row and parent_row["name"] not in SKIP
            parent = shorts[prefecture] if usable else province
        cities.append(City(adcode=code, name=row["name"], short=shorts[code],
                           pinyin=pinyin_of(row["name"]), latitude=float(row["latitude"]),
                           longitude=float(row["longitude"]), level=level, province=province,
                           parent=parent))
    return cities


def write_table(cities: list[City], path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    writer.writerow(COLUMNS)
    for c in cities:
        writer.writerow([c.adcode, c.name, c.short, c.pinyin, f"{c.latitude:.6f}".rstrip("0"),
                         f"{c.longitude:.6f}".rstrip("0"), c.level, c.province, c.parent])
    path.write_text(out.getvalue(), encoding="utf-8")


# Counties people ask about by name although the list leaves counties out (travel places).
WELL_KNOWN_COUNTIES = frozenset([
    "漠河", "阳朔", "九寨沟", "婺源", "凤凰", "平遥", "稻城", "若尔盖",
    "长白", "乌镇", "周庄", "西递", "宏村", "霞浦", "泸沽湖", "理塘"])


def listed(city: City, counties: bool) -> bool:
    """Whether the grammar's list names ``city`` (every place stays in the table)."""
    return (counties or city.level != "county" or city.name.endswith(("区", "市"))
            or city.short in WELL_KNOWN_COUNTIES)


def write_list(table: CityTable, path: Path, counties: bool = True) -> int:
    lines = ["# 城市与区县：一行一个；\"说法<TAB>值\" 表示别名。用户可自行增删。",
             "# 由 resources/cities/build_cities.py 从 resources/cities/zh_cities.tsv 生成"
             "（来源与许可见 resources/cities/NOTICE）。", "# 别名"]
    count = 0
    for alias, target in table.aliases.items():
        city = table.find(target)
        value = table.value_of(city) if city else None
        if value:
            lines.append(f"{alias}\t{value}")
            count += 1
    section = None
    for city in table.cities:
        value = table.value_of(city)
        if value is None or not listed(city, counties):
            continue
        group = city.province if not city.abroad else "国外"
        if group != section:
            lines.append(f"# {group}")
            section = group
        for spoken in table.spoken_forms(city):
            lines.append(spoken if spoken == value else f"{spoken}\t{value}")
            count += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def write_notice(path: Path, sha256: str, licence: str) -> None:
    path.write_text(f"""Places in zh_cities.tsv and ../grammar/zh-CN/lists/cities.txt

Source of the administrative divisions of China (codes, names, coordinates): the file
{CPCA_CSV} of the Python package cpca 0.5.5 (PyPI, "Chinese Province, City and
Area Recognition Utilities", https://github.com/DQinYuan/chinese_province_city_area_mapper),
sha256 {sha256},
distributed under the MIT licence reproduced below. Short names, pinyin
(pypinyin), levels and parents are derived by build_cities.py; entries without coordinates
and a few generic names (城区, 郊区, 矿区, 市辖区 ...) are left out.

extra_cities.tsv (Taiwan's cities and cities abroad) and aliases.tsv are kept by hand for
Lingyin (coordinates rounded to 0.01 degree, public geographic facts).

---- cpca licence ----
{licence.strip()}
""", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="the cpca wheel (default: pip download it)")
    parser.add_argument("--with-counties", action="store_true",
                        help="also put counties (县, 旗) into the grammar's list (they are always "
                             "in the table); the default leaves them out: with them the speech "
                             "graph is about four times bigger (1.5 M arcs, +260 MB)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.source or fetch_wheel(Path(tmp))
        rows, nations, licence, sha256 = read_source(wheel)
    if sha256 != CPCA_SHA256:
        raise SystemExit(f"{CPCA_CSV}: sha256 {sha256}, expected {CPCA_SHA256}")
    extra = [replace(c, pinyin=c.pinyin or pinyin_of(c.name))
             for c in read_table(HERE / "extra_cities.tsv")]
    cities = cpca_cities(rows, nations) + extra
    write_table(cities, HERE / "zh_cities.tsv")
    table = CityTable.load(HERE / "zh_cities.tsv", HERE / "aliases.tsv")
    count = write_list(table, LIST_FILE, counties=args.with_counties)
    write_notice(HERE / "NOTICE", sha256, licence)
    unreachable = sum(1 for c in table.cities if table.value_of(c) is None)
    print(f"{len(cities)} places ({unreachable} share every name with a likelier one), "
          f"{count} list items, {len(read_aliases(HERE / 'aliases.tsv'))} aliases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
