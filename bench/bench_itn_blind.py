"""Blind ITN benchmark: ``intents.itn.normalize`` on a test set written without reading it.

    .venv/bin/python -m bench.bench_itn_blind [--file tests/data/itn/blind.tsv] [--no-failures]

The file holds ``spoken<TAB>expected`` rows in Lingyin's conventions (docs/itn.md). A comment line
``# category NAME`` starts a group; every row belongs to the last category named above it (rows
before any such line are "uncategorised"). Other ``#`` lines are comments.

Two scores per category: exact (string equality) and number-neutral (both sides with spaces
removed, ``,`` thousands separators between digits dropped, and a trailing ``.0``/``.00`` on a
whole number dropped, so ``1,000`` = ``1000`` and ``3.0`` = ``3``). Failures are listed with the
category, the spoken text, the expected and the produced text.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from intents.itn import normalize

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "itn" / "blind.tsv"
CATEGORY_PREFIX = "# category "
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_ZERO = re.compile(r"(?<![\d.])(\d+)\.0+(?![\d.])")


@dataclass(frozen=True)
class Case:
    category: str
    spoken: str
    expected: str
    line: int


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: str
    exact: bool
    neutral: bool


def neutral(text: str) -> str:
    """Number-neutral form: no spaces, no thousands commas, no trailing ``.0`` on whole numbers."""
    text = re.sub(r"\s+", "", text)
    text = _THOUSANDS.sub("", text)
    return _TRAILING_ZERO.sub(r"\1", text)


def load_cases(path: Path) -> list[Case]:
    """Read the TSV; a malformed row raises ``ValueError`` naming the line."""
    cases: list[Case] = []
    category = "uncategorised"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith(CATEGORY_PREFIX):
            category = raw[len(CATEGORY_PREFIX) :].strip()
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 2:
            raise ValueError(f"{path}:{number}: expected spoken<TAB>expected, got {raw!r}")
        cases.append(Case(category, parts[0], parts[1], number))
    if not cases:
        raise ValueError(f"{path}: no test rows")
    return cases


def run(cases: list[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        got = normalize(case.spoken)
        outcomes.append(
            Outcome(case, got, got == case.expected, neutral(got) == neutral(case.expected))
        )
    return outcomes


def _share(hits: int, total: int) -> str:
    return f"{hits:4d}/{total:<4d} {100.0 * hits / total:5.1f}%"


def report(outcomes: list[Outcome], show_failures: bool) -> None:
    categories: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        categories.setdefault(outcome.case.category, []).append(outcome)
    print(f"{'category':<22} {'exact':>16} {'number-neutral':>18}")
    for name, group in categories.items():
        exact = sum(o.exact for o in group)
        neutral_hits = sum(o.neutral for o in group)
        print(f"{name:<22} {_share(exact, len(group)):>16} {_share(neutral_hits, len(group)):>18}")
    exact = sum(o.exact for o in outcomes)
    neutral_hits = sum(o.neutral for o in outcomes)
    total = len(outcomes)
    print(f"{'ALL':<22} {_share(exact, total):>16} {_share(neutral_hits, total):>18}")
    if not show_failures:
        return
    failures = [o for o in outcomes if not o.exact]
    print(f"\nfailures ({len(failures)}; 'N' marks a row that passes number-neutral):")
    for o in failures:
        mark = "N" if o.neutral else " "
        print(
            f"{mark} [{o.case.category}] L{o.case.line} {o.case.spoken}"
            f"  expected {o.case.expected!r}  got {o.got!r}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="blind TSV to run")
    parser.add_argument("--no-failures", action="store_true", help="print the figures only")
    args = parser.parse_args(argv)
    report(run(load_cases(args.file)), show_failures=not args.no_failures)


if __name__ == "__main__":
    main()
