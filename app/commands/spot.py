"""`lingyin spot --keyword PHRASE [--keyword PHRASE ...] [--sensitivity X] [--json] FILE...`

A keyword may carry its own sensitivity as ``PHRASE:X`` (e.g. ``你好小灵:0.7``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands import options
from asr.audio import load_audio
from asr.errors import LingyinError
from asr.kws import DEFAULT_SENSITIVITY, Keyword, KeywordSpotter, spot_samples
from asr.model import TransducerModel
from asr.readings import ReadingError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("spot", help="find wake words / keywords in audio files")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--keyword", action="append", required=True, metavar="PHRASE[:X]",
                        help="a phrase to spot, in Chinese characters; repeat for several")
    parser.add_argument("--sensitivity", type=options.sensitivity, default=DEFAULT_SENSITIVITY,
                        help=f"0..1, higher finds more and risks false alarms "
                             f"(default {DEFAULT_SENSITIVITY})")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    options.add_threads(parser)
    parser.add_argument("--model-dir", type=Path, help="model folder (default: the installed one)")
    parser.set_defaults(func=run)


def parse_keyword(text: str, default: float) -> tuple[str, float]:
    phrase, sep, value = text.rpartition(":")
    if not sep:
        return text.strip(), default
    try:
        return phrase.strip(), options.sensitivity(value)
    except argparse.ArgumentTypeError as exc:
        raise LingyinError(f"--keyword {text!r}: the sensitivity after ':' must be a number "
                           f"between 0 and 1 ({exc})") from exc


def build_keywords(model: TransducerModel, specs: list[str], default: float) -> list[Keyword]:
    keywords = []
    for spec in specs:
        phrase, sensitivity = parse_keyword(spec, default)
        try:
            keywords.append(Keyword.from_text(phrase, model, sensitivity))
        except (ReadingError, ValueError) as exc:
            raise LingyinError(f"--keyword {spec!r}: {exc}") from exc
    return keywords


def run(args: argparse.Namespace) -> int:
    model = TransducerModel.load(args.model_dir, threads=args.threads)
    spotter = KeywordSpotter(model, build_keywords(model, args.keyword, args.sensitivity))
    failed = 0
    for path in args.files:
        try:
            detections = spot_samples(spotter, load_audio(path))
        except LingyinError as exc:
            print(f"lingyin: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            record = {"file": str(path), "detections": [
                {"keyword": d.keyword, "start": d.start, "end": d.end, "score": d.score}
                for d in detections]}
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            found = ", ".join(f"{d.keyword}@{d.start:.2f}-{d.end:.2f}s" for d in detections)
            print(f"{path}\t{found or '-'}", flush=True)
    return 1 if failed else 0
