"""The desktop window (opened by `lingyin` with no arguments)."""

from __future__ import annotations

import sys


def run() -> int:
    print("lingyin: the desktop window arrives with the listener issue; "
          "use `lingyin --help` for the command-line stages", file=sys.stderr)
    return 0
