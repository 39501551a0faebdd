"""Phrasing coverage of the default grammar on Lingyin's own phrasing set, and the sentences that
must never perform an action (questions, negations, other domains).

    .venv/bin/python -m bench.bench_phrasing [--grammar PATH] [--show-errors]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.phrasings import PHRASINGS, ROOT, load_commands, load_never, score_commands, score_never
from intents.grammar import load_grammar
from intents.matcher import Matcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grammar", type=Path, default=ROOT / "resources" / "grammar" / "zh-CN")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--set", default="commands",
                        help="commands (written beside the grammar) or blind (written without "
                             "reading it); the never-set is <set>_never.yaml or never.yaml")
    args = parser.parse_args()
    matcher = Matcher(load_grammar(args.grammar))
    matcher.warm()
    cases = load_commands(PHRASINGS / f"{args.set}.yaml")
    start = time.perf_counter()
    score = score_commands(matcher, cases)
    took = (time.perf_counter() - start) / max(len(cases), 1) * 1000
    print(f"{'domain':<12}{'right':>8}{'total':>8}{'rate':>9}")
    for domain in sorted(score.total):
        right, total = score.right[domain], score.total[domain]
        print(f"{domain:<12}{right:>8}{total:>8}{right / total:>9.1%}")
    print(f"{'all':<12}{sum(score.right.values()):>8}{sum(score.total.values()):>8}"
          f"{score.rate:>9.1%}   ({took:.1f} ms per sentence)")
    never_file = PHRASINGS / ("never.yaml" if args.set == "commands" else f"{args.set}_never.yaml")
    never = load_never(never_file)
    for group, bad in score_never(matcher, never).items():
        print(f"must not perform — {group}: {len(bad)} of {len(never[group])} did")
        for text, key in bad if args.show_errors else []:
            print(f"    {text} → {key}")
    if args.show_errors:
        for case, why in score.misses:
            print(f"  miss {case.intent:<24} {case.text}  {case.slots or ''} → {why}")


if __name__ == "__main__":
    main()
