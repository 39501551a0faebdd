"""`lingyin models install [--from DIR] [--data-dir DIR] [--model NAME]` and `models check`."""

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
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

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
    install = actions.add_parser("install", help="install a model into the user data directory")
    install.add_argument("--from", dest="source", type=Path, metavar="DIR",
                         help="install from this local folder (the model folder or its parent) "
                              "instead of downloading the public release archive")
    check = actions.add_parser("check", help="verify an installed model's files and checksums")
    for action in (install, check):
        action.add_argument("--data-dir", type=Path, help="user data directory "
                            "(default: $LINGYIN_DATA_DIR or the platform's)")
        action.add_argument("--model", default=settings.DEFAULT_MODEL, help="model name")
    install.set_defaults(func=run_install)
    check.set_defaults(func=run_check)


def run_install(args: argparse.Namespace) -> int:
    manifest = Manifest.load(args.model)
    target = settings.model_dir(manifest.name, args.data_dir)
    progress = ProgressBar()
    if args.source is not None:
        install_from_dir(args.source, target, manifest, progress)
    else:
        install_from_url(target, manifest, progress)
    print(f"installed {manifest.name} ({manifest.license}) into {target}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    manifest = Manifest.load(args.model)
    target = settings.model_dir(manifest.name, args.data_dir)
    verify_dir(target, manifest, checksums=True)
    print(f"{manifest.name}: all {len(manifest.files)} files present and verified in {target}")
    return 0
