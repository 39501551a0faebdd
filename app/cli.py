"""The `lingyin` console command: no arguments opens the GUI; subcommands expose every stage.

Each subcommand lives in app/commands/NAME.py with ``register(subparsers)`` that adds its parser
and sets ``func`` (taking the parsed arguments, returning the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from asr.errors import LingyinError

# Issue 14: onnxruntime builds with telemetry (1.29 and later; pyproject.toml pins 1.28.0) send
# it to Microsoft from a bare import. They read this switch when they load, so it is set before
# any command can import onnxruntime: defence in depth should such a build get installed.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

COMMANDS = ("models", "transcribe", "itn", "parse", "check_grammar", "spot", "understand",
            "listen", "devices", "contacts", "run", "timers", "ptt")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lingyin", description="Lingyin (灵音): offline Mandarin voice commands."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "command", None):
        from app.commands import gui

        return gui.run()
    try:
        return int(args.func(args))
    except LingyinError as exc:
        print(f"lingyin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
