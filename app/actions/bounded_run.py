"""Running a program to its end without letting it hold Lingyin (custom ``run`` actions).

- The program gets an argument list (never a shell), no input, and its own session (POSIX) or
  process group (Windows), so that everything it starts can be ended with it.
- Its output is drained as it comes, from both pipes, by two threads: the first ``keep`` bytes
  of each are kept (for the log), the rest is read and thrown away, so a program printing without
  end neither fills Lingyin's memory nor blocks on a full pipe.
- After ``timeout`` seconds the whole process group is killed (:class:`ProgramTimedOut`).
- When the program itself has exited, its output is read for at most ``grace`` seconds more and
  then whatever it left running in its group is killed: a background child holding the pipes
  never keeps the caller waiting, and never outlives the action. (A child that left the group,
  e.g. with ``setsid``, is out of reach; its pipe is then abandoned to a daemon thread.)
- On POSIX the exited program is not reaped until its group has been signalled, so its process id
  — the group's id — cannot be reused by an unrelated process in between.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, cast

from app.actions.launch import ProgramFailed, ProgramMissing, ProgramTimedOut

KEEP = 64 * 1024  # bytes of each stream kept
GRACE = 0.5  # seconds the output is still read after the program exited
CHUNK = 65536


@dataclass(frozen=True)
class Finished:
    argv: tuple[str, ...]
    code: int
    stdout: bytes  # the first ``keep`` bytes
    stderr: bytes
    dropped: int  # bytes read and thrown away (both streams)


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping the first ``keep`` bytes."""

    def __init__(self, pipe: IO[bytes], keep: int) -> None:
        super().__init__(name="lingyin-program-output", daemon=True)
        self.pipe = pipe
        self.keep = keep
        self.dropped = 0
        self._kept = bytearray()
        self._lock = threading.Lock()

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the pipe went away
            while chunk := os.read(self.pipe.fileno(), CHUNK):
                with self._lock:
                    room = max(0, self.keep - len(self._kept))
                    self._kept += chunk[:room]
                    self.dropped += len(chunk) - min(room, len(chunk))
        with contextlib.suppress(OSError):
            self.pipe.close()

    @property
    def kept(self) -> bytes:
        with self._lock:
            return bytes(self._kept)


def run_bounded(argv: Sequence[str], timeout: float, keep: int = KEEP,
                grace: float = GRACE) -> Finished:
    """Run ``argv`` to its end (see the module's docstring); :class:`ProgramMissing`,
    :class:`ProgramTimedOut` or :class:`ProgramFailed` (a non-zero exit code, with the end of
    what it wrote to stderr)."""
    process = _start(argv)
    drains = [_Drain(cast(IO[bytes], pipe), keep) for pipe in (process.stdout, process.stderr)]
    for drain in drains:
        drain.start()
    exited = _exited(process, timeout)
    if exited:
        _join(drains, grace)
    _end_group(process)
    code = process.wait()
    _join(drains, grace)
    if not exited:
        raise ProgramTimedOut(argv[0], f"{argv[0]} did not finish within {timeout:g} s")
    out, err = (drain.kept for drain in drains)
    if code != 0:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise ProgramFailed(argv[0], f"{argv[0]} exited with code {code}"
                            + (f": {tail}" if tail else ""), code)
    return Finished(tuple(argv), code, out, err, sum(drain.dropped for drain in drains))


def _start(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    if not argv or not argv[0]:
        raise ProgramMissing("", "no program given")
    posix = os.name == "posix"
    try:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=posix,
            creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    except FileNotFoundError as exc:
        raise ProgramMissing(argv[0], f"{argv[0]}: program not found") from exc
    except (OSError, ValueError) as exc:  # not executable, a NUL byte in an argument, ...
        raise ProgramFailed(argv[0], f"{argv[0]}: cannot start: {exc}") from exc


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether the program exited within ``timeout``; on POSIX it is left unreaped."""
    if os.name != "posix":
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    done = threading.Event()

    def wait() -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        done.set()

    threading.Thread(target=wait, name="lingyin-program-wait", daemon=True).start()
    return done.wait(timeout)


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the program's process group (POSIX; on Windows the program itself)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()


def _join(drains: list[_Drain], within: float) -> None:
    """Wait for the drains to reach the end of their pipes, ``within`` seconds in all."""
    end = time.monotonic() + within
    for drain in drains:
        drain.join(max(0.0, end - time.monotonic()))
