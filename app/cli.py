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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or with ``only`` (a name in COMMANDS) that command's alone: the
    other commands' modules, and what they import, are then not imported at all."""
    parser = argparse.ArgumentParser(
        prog="lingyin", description="Lingyin (灵音): offline Mandarin voice commands."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The module (in COMMANDS) of the command ``argv`` begins with; None when it begins with
    anything else (an option such as --help, a mistyped command: every parser is needed)."""
    first = argv[0] if argv else ""
    module = first.replace("-", "_")
    return module if module in COMMANDS and first == module.replace("_", "-") else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(command_of(argv)).parse_args(argv) if argv else argparse.Namespace()
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
