"""Run one heavy, one-off piece of work (a grammar compile, the lexicon build) in a child
Python process: its peak memory, and the tables only it needs, go away with the child instead of
staying in the assistant's heap for the rest of the day. The child writes its result into the
cache folder, where the parent reads (maps) it; a frozen bundle, a missing interpreter or a
failure returns False and the caller does the work itself."""

from __future__ import annotations

import os
import subprocess
import sys

from asr import settings

IN_PROCESS_ENV = "LINGYIN_COMPILE_IN_PROCESS"  # set: do such work in the process itself


def run_module(module: str, args: list[str], payload: bytes = b"",
               timeout: float = 900.0) -> bool:
    """``python -m module args`` with ``payload`` on stdin; True when it exited 0."""
    if getattr(sys, "frozen", False) or os.environ.get(IN_PROCESS_ENV):
        return False
    root = str(settings.source_root())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    try:
        done = subprocess.run([sys.executable, "-m", module, *args], input=payload, env=env,
                              timeout=timeout, check=False, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
