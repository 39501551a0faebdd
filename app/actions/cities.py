"""The bundled table of places the weather can be asked for (resources/cities/zh_cities.tsv, made
by resources/cities/build_cities.py) and how a spoken name finds its row.

A name is found by its full official name (海淀区, 北京市), its short form (海淀, 北京), a
hand-kept alias (帝都 → 北京, resources/cities/aliases.tsv) or with a trailing 市 dropped. When
several places share a name the most likely one wins: a full name before a short one, a short one
made by dropping a plain suffix (海南省 → 海南) before one made by also dropping ethnic names
(海南藏族自治州 → 海南); then a prefecture-level city before a province before a district or
county; then a district of a municipality, provincial capital or sub-provincial city (南山 is
Shenzhen's, not Hegang's); then the lower administrative code (Beijing's 朝阳区 before
Changchun's). The build script
uses the same rules to write the grammar's ``cities`` list, so every name in the list finds the
place the list means.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from asr import settings

log = logging.getLogger(__name__)

TABLE = "cities/zh_cities.tsv"
ALIASES = "cities/aliases.tsv"
COLUMNS = ("adcode", "name", "short", "pinyin", "latitude", "longitude", "level", "province",
           "parent")
# Suffixes whose removal gives the usual short name (longest first, so 新区 goes before 区).
PLAIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "林区", "新区", "特区",
                  "地区", "省", "市", "区", "县", "盟", "旗")
LEVELS = ("city", "province", "county", "world")  # tie-break order among equal names
# Municipalities, provincial capitals and sub-provincial cities: their districts win a shared name
# (南山 is Shenzhen's, not Hegang's).
MAJOR = frozenset((
    "北京", "上海", "天津", "重庆", "石家庄", "太原", "呼和浩特", "沈阳", "长春", "哈尔滨", "南京",
    "杭州", "合肥", "福州", "南昌", "济南", "郑州", "武汉", "长沙", "广州", "南宁", "海口", "成都",
    "贵阳", "昆明", "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐", "大连", "青岛", "宁波",
    "厦门", "深圳"))


@dataclass(frozen=True)
class City:
    adcode: str  # the administrative division code; empty for hand-added places
    name: str  # the full official name: 海淀区
    short: str  # the usual short name: 海淀 (same as name when there is none)
    pinyin: str
    latitude: float
    longitude: float
    level: str  # one of LEVELS: province, city (prefecture level), county, world (abroad)
    province: str  # short province name (北京, 浙江); the country for places abroad
    parent: str = ""  # the prefecture-level city (short) of a district or county

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"{self.name}: unknown level {self.level!r}")
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError(f"{self.name}: coordinates out of range")

    @property
    def key(self) -> str:
        """A stable identity (the cache's key)."""
        return self.adcode or f"{self.province}/{self.name}"

    @property
    def display(self) -> str:
        """How a reply names the place: 杭州西湖区, 昆山, 北京, 东京."""
        if self.level != "county":
            return self.short
        if self.name.endswith("市"):
            return self.short
        parent = self.parent or self.province
        return self.name if self.name.startswith(parent) else f"{parent}{self.name}"

    @property
    def abroad(self) -> bool:
        return self.level == "world"

    def short_rank(self) -> int:
        """1 when the short name only drops a plain suffix, 2 when it also drops ethnic names."""
        return 1 if self.name[len(self.short):] in PLAIN_SUFFIXES else 2


def _rank(city: City, spoken: str) -> tuple[int, int, bool, str]:
    kind = 0 if spoken == city.name else city.short_rank()
    minor = city.level == "county" and city.parent not in MAJOR
    return (kind, LEVELS.index(city.level), minor, city.adcode or "~" + city.name)


class CityTable:
    """Places by spoken name (see the module docstring for the rules)."""

    def __init__(self, cities: Iterable[City], aliases: Mapping[str, str] | None = None) -> None:
        self.cities = tuple(cities)
        best: dict[str, tuple[tuple[int, int, bool, str], City]] = {}
        for city in self.cities:
            for spoken in {city.name, city.short}:
                rank = _rank(city, spoken)
                if spoken not in best or rank < best[spoken][0]:
                    best[spoken] = (rank, city)
        self._index = {spoken: city for spoken, (_, city) in best.items()}
        self.aliases: dict[str, str] = {}
        for alias, target in (aliases or {}).items():
            if self.find(target) is None:
                raise ValueError(f"alias {alias!r} names an unknown place {target!r}")
            if alias in self._index:
                raise ValueError(f"alias {alias!r} is already the name of a place")
            self.aliases[alias] = target

    @classmethod
    def load(cls, table: Path, aliases: Path | None = None) -> CityTable:
        return cls(read_table(table), read_aliases(aliases) if aliases else None)

    @classmethod
    def bundled(cls) -> CityTable:
        return cls.load(settings.resource_path(TABLE), settings.resource_path(ALIASES))

    def __len__(self) -> int:
        return len(self.cities)

    def find(self, name: str) -> City | None:
        """The place ``name`` means, or None."""
        name = name.strip()
        for candidate in (name, name.removesuffix("市")):
            if candidate in self._index:
                return self._index[candidate]
            if candidate in self.aliases:
                return self.find(self.aliases[candidate])
        return None

    def value_of(self, city: City) -> str | None:
        """The list value that finds ``city`` (its short name if that finds it, else its full
        name), or None when another place with the same names always wins."""
        for spoken in (city.short, city.name):
            if self._index.get(spoken) is city:
                return spoken
        return None

    def spoken_forms(self, city: City) -> Iterator[str]:
        """What a person may say for ``city`` that finds it (北京市 is left to the grammar's
        optional 市 after the name)."""
        seen: set[str] = set()
        for spoken in (city.short, city.name):
            if spoken in seen or self._index.get(spoken) is not city:
                continue
            if spoken.endswith("市") and self._index.get(spoken[:-1]) is city:
                continue
            seen.add(spoken)
            yield spoken


def read_table(path: Path) -> list[City]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        rows = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(rows.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected the columns {', '.join(COLUMNS)}")
        return [City(adcode=row["adcode"], name=row["name"], short=row["short"] or row["name"],
                     pinyin=row["pinyin"], latitude=float(row["latitude"]),
                     longitude=float(row["longitude"]), level=row["level"],
                     province=row["province"], parent=row["parent"]) for row in rows]


def read_aliases(path: Path) -> dict[str, str]:
    """``alias<TAB>place`` lines; ``#`` comments and blank lines are skipped."""
    aliases: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        alias, _, target = (part.strip() for part in line.partition("\t"))
        if not alias or not target:
            raise ValueError(f"{path}:{number}: expected alias<TAB>place")
        aliases[alias] = target
    return aliases
