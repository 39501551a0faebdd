"""Argument types shared by the commands: a bad value ends in argparse's usage message and exit
code 2 (``lingyin transcribe: error: argument --beam: ...``), never a traceback or a hang."""

from __future__ import annotations

import argparse
import os


def max_threads() -> int:
    """More onnxruntime threads than this only oversubscribes the machine (and can hang)."""
    return min(64, 4 * (os.cpu_count() or 1))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def beam(text: str) -> int:
    """A beam size: at least 1 (1 is greedy search where a command offers it)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def threads(text: str) -> int:
    """onnxruntime threads: 1 up to ``max_threads()``."""
    value = _int(text)
    limit = max_threads()
    if not 1 <= value <= limit:
        raise argparse.ArgumentTypeError(
            f"must be between 1 and {limit} (4 per CPU core of this machine, at most 64), "
            f"got {value}")
    return value


def sensitivity(text: str) -> float:
    """A wake-word sensitivity between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


def add_threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=threads, default=1, metavar="N",
                        help=f"onnxruntime threads, 1 to {max_threads()} (default 1)")


def seconds(text: str) -> float:
    """A duration in seconds, 0 to an hour."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.0 <= value <= 3600.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, got {value:g}")
    return value


def aggressiveness(text: str) -> int:
    """A VAD aggressiveness: 0, 1, 2 or 3."""
    if text not in ("0", "1", "2", "3"):
        raise argparse.ArgumentTypeError(f"must be 0, 1, 2 or 3, got {text!r}")
    return int(text)
