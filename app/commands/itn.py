"""`lingyin itn [TEXT...]`: spoken Chinese numbers to digits (inverse text normalisation).

Normalises each argument, or each line of stdin when there are none; one output line per input
line, in order (an empty line stays empty). A line longer than the normaliser accepts is reported
on stderr and written as an empty line, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys

from intents.itn import ItnInputTooLong, normalize


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "itn",
        help="write spoken numbers as digits",
        description="Normalise each TEXT, or each stdin line when none is given.",
    )
    parser.add_argument("text", nargs="*", metavar="TEXT", help="text to normalise")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    lines: list[str] = list(args.text)
    if not lines:
        lines = [line.rstrip("\r\n") for line in sys.stdin]
    out, status = sys.stdout, 0
    for number, line in enumerate(lines, 1):
        for part in line.split("\n"):
            try:
                out.write(normalize(part) + "\n")
            except ItnInputTooLong as exc:
                print(f"lingyin: error: 第 {number} 行：{exc}", file=sys.stderr)
                out.write("\n")
                status = 2
    out.flush()
    return status
