"""Chinese ITN benchmark: Lingyin's ``normalize`` side by side with cn2an and wetext.

    .venv/bin/python -m bench.bench_itn [--shared DIR] [--show-errors]

Reads the suites in ``<shared>/data/itn`` (cn2an_itn_zh.tsv, wetextprocessing_itn_zh.tsv). Each
suite's expected output is rewritten in Lingyin's convention by the mapping of the library that
wrote it (bench/itn_mapping.py, documented in docs/itn.md); each peer's output is rewritten by its
own library's mapping, so all three are judged on the same rows in one convention; decimals are
compared without their trailing zeros (``neutral``: Lingyin keeps spoken precision, cn2an drops
it). "Agreed" rows are those whose expected output the mapping leaves unchanged.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asr import settings
from bench.itn_mapping import from_cn2an, from_wetext, neutral
from intents.itn import normalize

Mapper = Callable[[str, str], str]
SUITES: dict[str, tuple[str, Mapper]] = {
    "cn2an": ("cn2an_itn_zh.tsv", from_cn2an),
    "wetext": ("wetextprocessing_itn_zh.tsv", from_wetext),
}


@dataclass
class Row:
    spoken: str
    expected: str  # in Lingyin's convention
    agreed: bool  # the mapping left the suite's expected text unchanged


@dataclass
class System:
    name: str
    run: Callable[[str], str]
    mapper: Mapper | None
    seconds: float = 0.0
    lines: int = 0
    errors: dict[str, list[tuple[Row, str]]] = field(default_factory=dict)


def load_suite(path: Path, mapper: Mapper) -> list[Row]:
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        spoken, expected = [*line.split("\t"), ""][:2]
        mapped = mapper(spoken, expected)
        rows.append(Row(spoken, mapped, mapped == expected))
    return rows


def _systems() -> list[System]:
    import cn2an
    from wetext import Normalizer

    wetext = Normalizer(lang="zh", operator="itn", enable_0_to_9=True, remove_interjections=True)

    def run_cn2an(text: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return str(cn2an.transform(text, "cn2an"))
            except Exception:  # cn2an raises on some inputs; count it as no conversion
                return text

    return [
        System("lingyin", normalize, None),
        System("cn2an", run_cn2an, from_cn2an),
        System("wetext", lambda t: str(wetext.normalize(t)), from_wetext),
    ]


def _timed(system: System, rows: list[Row], min_seconds: float) -> list[str]:
    outputs: list[str] = []
    start, passes = time.perf_counter(), 0
    while True:
        outputs = [system.run(r.spoken) for r in rows]
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    system.seconds += elapsed
    system.lines += passes * len(rows)
    return outputs


def evaluate(shared: Path, min_seconds: float) -> tuple[list[System], dict[str, list[Row]]]:
    suites = {
        name: load_suite(shared / "data" / "itn" / fname, mapper)
        for name, (fname, mapper) in SUITES.items()
    }
    systems = _systems()
    for system in systems:
        for suite, rows in suites.items():
            outputs = _timed(system, rows, min_seconds if system.name == "lingyin" else 0.0)
            wrong = []
            for row, out in zip(rows, outputs, strict=True):
                written = system.mapper(row.spoken, out) if system.mapper else out
                if neutral(written) != neutral(row.expected):
                    wrong.append((row, written))
            system.errors[suite] = wrong
    return systems, suites


def _pct(right: int, total: int) -> str:
    return f"{100.0 * right / total:6.1f}% ({right}/{total})" if total else "    n/a"


def report(systems: list[System], suites: dict[str, list[Row]], show: bool) -> None:
    names = list(suites)
    header = f"{'system':<9}" + "".join(f"{n:>22}" for n in [*names, "all", "agreed"])
    print(header + f"{'lines/s':>12}")
    for s in systems:
        cells, total_right, total, agreed_right, agreed = [], 0, 0, 0, 0
        for name in names:
            rows, wrong = suites[name], s.errors[name]
            bad = {id(r) for r, _ in wrong}
            cells.append(_pct(len(rows) - len(wrong), len(rows)))
            total_right += len(rows) - len(wrong)
            total += len(rows)
            agreed += sum(r.agreed for r in rows)
            agreed_right += sum(r.agreed and id(r) not in bad for r in rows)
        cells += [_pct(total_right, total), _pct(agreed_right, agreed)]
        speed = s.lines / s.seconds if s.seconds else 0.0
        print(f"{s.name:<9}" + "".join(f"{c:>22}" for c in cells) + f"{speed:12.0f}")
    if show:
        for s in systems:
            for name in names:
                for row, got in s.errors[name]:
                    tag = "agreed" if row.agreed else "mapped"
                    print(
                        f"[{s.name}/{name}/{tag}] {row.spoken}\n  want {row.expected}\n  got  {got}"
                    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None, help="shared folder (LINGYIN_SHARED)")
    parser.add_argument("--show-errors", action="store_true", help="list every wrong row")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="timing floor for lingyin")
    args = parser.parse_args(argv)
    shared = args.shared or settings.shared_dir()
    systems, suites = evaluate(shared, args.min_seconds)
    report(systems, suites, args.show_errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
