"""`lingyin models install [--from DIR] [--data-dir DIR] [--model NAME]`, `models check` and
`models prepare` (build the pinyin→Hanzi lexicon now; install does it too)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from asr import settings
from asr.install import install_from_dir, install_from_url
from asr.manifest import Manifest, verify_dir


class ProgressBar:
    """A one-line progress bar on stderr (only drawn on a terminal, or at the end of each file)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, label: str, done: int, total: int) -> None:
        finished = total > 0 and done >= total
        if not (self.tty or finished):
            return
        width = 30
        fraction = done / total if total else 0.0
        bar = "#" * int(width * fraction)
        size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        end = "\n" if finished else ""
        self.stream.write(f"\r{label[:40]:40} [{bar:{width}}] {size}{end}")
        self.stream.flush()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("models", help="install and check acoustic models")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="install a model into the user data directory "
                                 "(and build the pinyin→Hanzi lexicon if it is not built yet)")
    install.add_argument("--from", dest="source", type=Path, metavar="DIR",
                         help="install from this local folder (the model folder or its parent) "
                              "instead of downloading the public release archive")
    check = actions.add_parser("check", help="verify an installed model's files and checksums")
    for action in (install, check):
        action.add_argument("--data-dir", type=Path, help="user data directory "
                            "(default: $LINGYIN_DATA_DIR or the platform's)")
        action.add_argument("--model", default=settings.DEFAULT_MODEL, help="model name")
    prepare = actions.add_parser("prepare", help="build the pinyin→Hanzi lexicon now (once, "
                                 "~30 s) instead of at the first transcription")
    install.set_defaults(func=run_install)
    check.set_defaults(func=run_check)
    prepare.set_defaults(func=run_prepare)


def run_install(args: argparse.Namespace) -> int:
    manifest = Manifest.load(args.model)
    target = settings.model_dir(manifest.name, args.data_dir)
    progress = ProgressBar()
    if args.source is not None:
        install_from_dir(args.source, target, manifest, progress)
    else:
        install_from_url(target, manifest, progress)
    print(f"installed {manifest.name} ({manifest.license}) into {target}", flush=True)
    return run_prepare(args)


def run_check(args: argparse.Namespace) -> int:
    manifest = Manifest.load(args.model)
    target = settings.model_dir(manifest.name, args.data_dir)
    verify_dir(target, manifest, checksums=True)
    print(f"{manifest.name}: all {len(manifest.files)} files present and verified in {target}")
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    """Build the converter's lexicon unless it is cached already (the cold path of the first
    transcription otherwise)."""
    from asr.hanzi_data import prepare_lexicon

    prepared = prepare_lexicon(announce=lambda message: print(message, flush=True))
    if not prepared.built:
        print(f"pinyin→Hanzi lexicon: ready ({prepared.path})")
    elif prepared.saved:
        print(f"pinyin→Hanzi lexicon: built ({prepared.path})")
    else:
        print(f"lingyin: could not write the pinyin→Hanzi lexicon to {prepared.path}; it will be "
              "built again on each start (make the cache folder writable or set "
              "LINGYIN_CACHE_DIR)", file=sys.stderr)
    return 0
