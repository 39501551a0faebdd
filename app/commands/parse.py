"""`lingyin parse [--grammar PATH] [--lists DIR] [--json] [TEXT...]`: text → intent and slots.

Without TEXT, each line of standard input is one sentence. ``--json`` prints one object per
line: ``{"text", "domain", "intent", "slots", "confidence", "alternatives", "stage",
"confirm"}`` (``confirm``: ask before acting — the intent says so, or the confidence is low) or
``{"text", "rejected": true, "reason"}`` (``no_match``, ``low_confidence``, ``question:吗``,
``negation:不要关``, ``several_commands``, ``too_long: …``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from intents.errors import GrammarErrors
from intents.grammar import load_grammar
from intents.matcher import Match, Matcher
from intents.model import Grammar


def add_grammar_options(parser: argparse.ArgumentParser, positional: bool = False) -> None:
    if positional:
        parser.add_argument("grammar", nargs="?", type=Path, metavar="PATH",
                            help="grammar file or folder (default: the user's grammar)")
    else:
        parser.add_argument("--grammar", type=Path, metavar="PATH",
                            help="grammar file or folder (default: the user's grammar)")
    parser.add_argument("--lists", type=Path, metavar="DIR",
                        help="folder of list files (default: lists/ beside the grammar)")


def load_or_report(args: argparse.Namespace) -> Grammar | None:
    """The grammar named by the arguments; None after printing its problems to stderr."""
    path = args.grammar
    if path is None:
        from intents.store import ensure_user_grammar

        path = ensure_user_grammar()
    try:
        return load_grammar(path, args.lists)
    except GrammarErrors as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("parse", help="match sentences against the command grammar")
    parser.add_argument("texts", nargs="*", metavar="TEXT",
                        help="sentences (default: one per line of standard input)")
    add_grammar_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def _lines(args: argparse.Namespace) -> Iterable[str]:
    if args.texts:
        yield from args.texts
        return
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def format_match(text: str, match: Match | None, as_json: bool, reason: str = "") -> str:
    if as_json:
        record = match.to_json() if match else {"text": text, "rejected": True,
                                                "reason": reason or "no_match"}
        return json.dumps(record, ensure_ascii=False)
    if match is None:
        return f"{text}\t(rejected{': ' + reason if reason else ''})"
    slots = json.dumps(match.slots, ensure_ascii=False)
    line = f"{text}\t{match.key}\t{slots}\t{match.confidence:.2f}"
    if match.alternatives:
        line += "\talso: " + ", ".join(f"{a.key} {a.confidence:.2f}" for a in match.alternatives)
    return line


def run(args: argparse.Namespace) -> int:
    grammar = load_or_report(args)
    if grammar is None:
        return 1
    matcher = Matcher(grammar)
    for text in _lines(args):
        match, reason = matcher.judge(text, typed=True)  # text as written: no sound-alikes
        print(format_match(text, match, args.json, reason), flush=True)
    return 0
