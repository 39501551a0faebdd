"""`lingyin transcribe [--json] [--beam N] FILE...`: one line (or JSON object) per file."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.commands import options
from asr.errors import LingyinError
from asr.recognizer import Recognizer, Result


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("transcribe", help="transcribe audio files (pinyin and Hanzi)")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--beam", type=options.beam, default=4,
                        help="beam size; 1 is greedy search (default 4)")
    options.add_threads(parser)
    parser.add_argument("--model-dir", type=Path, help="model folder (default: the installed one)")
    parser.set_defaults(func=run)


def _hanzi() -> Any:
    from asr.hanzi import HanziConverter

    return HanziConverter.load()


def to_text(converter: Any, result: Result) -> str:
    """Hanzi for the result, rescoring the beam's other hypotheses with the language model."""
    if len(result.nbest) > 1:
        return str(converter.convert_nbest(list(result.nbest)))
    return str(converter.convert(result.pinyin))


def run(args: argparse.Namespace) -> int:
    recognizer = Recognizer.load(args.model_dir, threads=args.threads, beam=args.beam)
    converter = _hanzi()
    failed = 0
    for path in args.files:
        started = time.perf_counter()
        try:
            result = recognizer.recognize_file(path)
        except LingyinError as exc:
            print(f"lingyin: {exc}", file=sys.stderr)
            failed += 1
            continue
        text = to_text(converter, result)
        elapsed = time.perf_counter() - started
        if args.json:
            record = {"file": str(path), "pinyin": result.pinyin, "text": text,
                      "audio_seconds": round(result.audio_seconds, 3),
                      "decode_seconds": round(elapsed, 3)}
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"{path}\t{text}\t{result.pinyin}", flush=True)
    return 1 if failed else 0
