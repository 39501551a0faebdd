"""`lingyin understand [--grammar PATH] [--lists DIR] [--json] FILE...`: speech → intent.

One JSON object per file: ``{"file", "text", "pinyin", "domain", "intent", "slots",
"confidence", "rejected": false, "score", "source", "confirm"}`` (``score``: the grammar path's
log-likelihood ratio per token against free decoding; ``confirm``: ask before acting, e.g. a
digit string free decoding did not hear the same, with ``reason``), or ``{"file", "text",
"pinyin", "rejected": true, "reason", "score"}`` (``reason``: ``no_path``, ``low_score``,
``nothing_heard``, ``question:吗``, ``negation:…``), or ``{"file", "error"}`` for a file that
could not be read — so no input is silently missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands import options
from asr.audio import load_audio
from asr.errors import LingyinError
from asr.recognizer import Recognizer
from intents.speech import DEFAULT_THRESHOLD, GRAPH_BEAM, SpeechUnderstander, load_to_hanzi


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("understand", help="understand spoken commands in audio files")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--grammar", type=Path, help="grammar file or folder "
                        "(default: the user's grammar, created from the bundled one)")
    parser.add_argument("--lists", type=Path, help="folder of list files (default: lists/ "
                        "beside the grammar)")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="rejection threshold: minimum log-likelihood ratio per token of "
                             "the grammar path against free decoding "
                             f"(default {DEFAULT_THRESHOLD})")
    parser.add_argument("--beam", type=options.beam, default=4,
                        help="free decoding beam (default 4)")
    parser.add_argument("--graph-beam", type=options.beam, default=GRAPH_BEAM,
                        help=f"grammar-constrained beam (default {GRAPH_BEAM})")
    options.add_threads(parser)
    parser.add_argument("--model-dir", type=Path, help="model folder (default: the installed one)")
    parser.set_defaults(func=run)


def load_user_grammar(path: Path | None, lists: Path | None):  # type: ignore[no-untyped-def]
    from intents.errors import GrammarErrors
    from intents.grammar import load_grammar
    from intents.store import ensure_user_grammar

    source = path if path is not None else ensure_user_grammar()
    try:
        return load_grammar(source, lists)
    except GrammarErrors as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise LingyinError(f"the grammar at {source} has errors (listed above); "
                           "fix them or run `lingyin check-grammar`") from exc


def run(args: argparse.Namespace) -> int:
    grammar = load_user_grammar(args.grammar, args.lists)
    recognizer = Recognizer.load(args.model_dir, threads=args.threads)
    understander = SpeechUnderstander(recognizer, grammar, to_hanzi=load_to_hanzi(),
                                      threshold=args.threshold, beam=args.beam,
                                      graph_beam=args.graph_beam)
    failed = 0
    for path in args.files:
        try:
            result = understander.understand(load_audio(path))
        except LingyinError as exc:
            print(f"lingyin: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": str(path), "error": str(exc)}, ensure_ascii=False),
                      flush=True)
            failed += 1
            continue
        record = result.to_json(str(path))
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        elif result.rejected:
            print(f"{path}\t(not understood)\t{result.text}", flush=True)
        else:
            print(f"{path}\t{result.domain}.{result.intent}\t"
                  f"{json.dumps(result.slots, ensure_ascii=False)}\t{result.text}", flush=True)
    return 1 if failed else 0
