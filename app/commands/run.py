"""`lingyin run [--dry-run] [--json] [--grammar PATH] [--lists DIR] TEXT...`: each TEXT is one
turn of one conversation (`lingyin run 打电话 张三 对`).

One JSON object per turn: ``{"text", "domain", "intent", "slots", "action", "performed",
"reply", "expect_reply"}``; ``performed`` is false in a dry run, on rejection or on error, and
``expect_reply`` true when Lingyin asked something back.
"""

from __future__ import annotations

import argparse
import json
import logging

from app.commands.parse import add_grammar_options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="hold a typed conversation: understand, act, reply")
    parser.add_argument("texts", nargs="+", metavar="TEXT", help="one turn each")
    add_grammar_options(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="describe what each action would do instead of doing it")
    parser.add_argument("--json", action="store_true", help="one JSON object per turn")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(format="lingyin: %(name)s: %(message)s", level=logging.WARNING)
    from app.assistant.build import build_assistant, grammar_errors_message
    from intents.errors import GrammarErrors
    from intents.matcher import Matcher
    from intents.store import ensure_user_grammar

    path = args.grammar if args.grammar is not None else ensure_user_grammar()
    from intents.grammar import load_grammar

    try:
        grammar = load_grammar(path, args.lists)
        matcher = Matcher(grammar)
        built = build_assistant(lambda: grammar, matcher.match, grammar_path=path,
                                lists=args.lists, dry_run=args.dry_run)
    except GrammarErrors as exc:
        raise grammar_errors_message(exc, path) from exc
    try:
        for text in args.texts:
            result = built.assistant.text_turn(text)
            if args.json:
                print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            else:
                what = f"{result.domain}.{result.intent}" if result.intent else "-"
                done = "done" if result.performed else ("dry run" if args.dry_run else "not done")
                print(f"{text}\t{what}\t{done}\t{result.reply or ''}", flush=True)
    finally:
        built.close()
    return 0
