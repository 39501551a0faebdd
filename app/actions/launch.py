"""Starting programs for actions: argument lists only (never a shell), detached from Lingyin,
with the two failures a user can fix told apart: the program is missing, or it failed at once.

- :func:`start_detached` starts a program that keeps running (an app, a dialer) in its own
  session with its output discarded; it waits ``grace`` seconds so that a program failing at
  once (``xdg-open`` without a handler: exit 3) is reported, and reaps it later in a thread.
- :func:`run_program` runs a program to its end with a timeout (its whole process group is
  killed when it hangs).
- :func:`open_uri` hands a URI (``tel:``, ``https:``) to the system's handler.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from asr.errors import LingyinError

Starter = Callable[[Sequence[str]], object]  # starts argv or raises a LaunchError


class LaunchError(LingyinError):
    """A program could not be started or failed; ``program`` is what the user should check."""

    def __init__(self, program: str, message: str) -> None:
        super().__init__(message)
        self.program = program


class ProgramMissing(LaunchError):
    pass


class ProgramFailed(LaunchError):
    def __init__(self, program: str, message: str, code: int | None = None) -> None:
        super().__init__(program, message)
        self.code = code


class ProgramTimedOut(LaunchError):
    pass


def _popen(argv: Sequence[str], capture_out: bool) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session (POSIX) or process group (Windows); stdin closed, stderr
    piped, stdout piped or discarded."""
    if not argv or not argv[0]:
        raise ProgramMissing("", "no program given")
    posix = os.name == "posix"
    try:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
            stdout=subprocess.PIPE if capture_out else subprocess.DEVNULL,
            start_new_session=posix,
            creationflags=0 if posix else getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    except FileNotFoundError as exc:
        raise ProgramMissing(argv[0], f"{argv[0]}: program not found") from exc
    except (OSError, ValueError) as exc:  # not executable, a NUL byte in an argument, ...
        raise ProgramFailed(argv[0], f"{argv[0]}: cannot start: {exc}") from exc


def start_detached(argv: Sequence[str], grace: float = 0.5) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached; raise :class:`ProgramFailed` if it exits non-zero within
    ``grace`` seconds. The process is returned (still running, or done with exit code 0)."""
    process = _popen(argv, capture_out=False)
    try:
        code = process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        threading.Thread(target=_reap, args=(process,), daemon=True).start()
        return process
    err = process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if code != 0:
        detail = f": {err[-300:]}" if err else ""
        raise ProgramFailed(argv[0], f"{argv[0]} exited with code {code}{detail}", code)
    return process


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Drain and wait, so a long-running child never blocks on a full pipe or stays a zombie."""
    if process.stderr is not None:
        for _ in process.stderr:
            pass
        process.stderr.close()
    process.wait()


def run_program(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` to its end; :class:`ProgramTimedOut` (process group killed) after
    ``timeout`` seconds, :class:`ProgramFailed` on a non-zero exit code."""
    process = _popen(argv, capture_out=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(process)
        process.communicate()
        raise ProgramTimedOut(argv[0], f"{argv[0]} did not finish within {timeout:g} s") from None
    if process.returncode != 0:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise ProgramFailed(argv[0], f"{argv[0]} exited with code {process.returncode}"
                            + (f": {tail}" if tail else ""), process.returncode)
    return subprocess.CompletedProcess(list(argv), 0, out, err)


def kill_tree(process: subprocess.Popen[bytes], sig: int | None = None) -> None:
    """Signal a process started by this module and everything in its session (POSIX)."""
    if process.poll() is not None:
        return
    if os.name == "posix":
        try:
            os.killpg(process.pid, sig if sig is not None else signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    process.kill()


def system_opener(platform: str = sys.platform) -> list[str] | None:
    """The command that opens a URI or file with the desktop's handler (None: os.startfile)."""
    if platform.startswith("win"):
        return None
    return ["open"] if platform == "darwin" else ["xdg-open"]


def open_uri(uri: str, start: Starter = start_detached, platform: str = sys.platform) -> None:
    """Open ``uri`` with the system's handler (``xdg-open``, ``open`` or ``os.startfile``);
    the URI is one argument."""
    command = system_opener(platform)
    if command is None:
        try:
            os.startfile(uri)  # type: ignore[attr-defined]
        except OSError as exc:
            raise ProgramFailed("startfile", f"no program opens {uri.split(':', 1)[0]}: "
                                f"{exc}") from exc
        return
    # xdg-open may run the handler in the foreground: a short grace, still-running is fine.
    start([*command, uri])
