"""`lingyin check-grammar [PATH] [--lists DIR]`: load a grammar and run its test sentences.

Exit 0 when the grammar loads, names only actions Lingyin has (each given the slots it needs)
and every test passes; otherwise each problem is printed on stderr as ``file:line:col: message``
and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys

from app.assistant.build import known_actions
from app.commands.parse import add_grammar_options, load_or_report
from intents.check import check_grammar


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("check-grammar", help="check a command grammar and run its tests")
    add_grammar_options(parser, positional=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    grammar = load_or_report(args)
    if grammar is None:
        return 1
    problems = check_grammar(grammar, known_actions=known_actions())
    for problem in problems:
        print(problem, file=sys.stderr)
    tests = sum(len(i.tests) for i in grammar.intents)
    if problems:
        return 1
    print(f"{len(grammar.intents)} intents in {len(grammar.files)} files, {tests} tests pass")
    return 0
