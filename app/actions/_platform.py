"""Programs as values for the volume, media and system actions: a ``Runner`` takes an argument
list and returns a ``RunResult`` instead of raising, so a handler turns a failure into a reply and
a test passes a recorder instead of running anything (nothing is shut down by a test).

The real runners are thin adapters over app/actions/launch.py (argument lists, never a shell;
own session; time limits; process groups killed on timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.actions.launch import (
    LaunchError,
    ProgramFailed,
    ProgramMissing,
    ProgramTimedOut,
    open_uri,
    run_program,
    start_detached,
    system_opener,
)

RUN_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunResult:
    returncode: int
    output: str = ""  # standard output
    error: str = ""  # what went wrong (the program's complaint, or why it could not start)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def cause(self, argv: Sequence[str]) -> str:
        """One line for the log: the command and how it failed."""
        detail = self.error.strip() or self.output.strip() or f"exit code {self.returncode}"
        return f"{' '.join(argv)}: {detail[-300:]}"


Runner = Callable[[Sequence[str]], RunResult]
Which = Callable[[str], str | None]


def _failure(error: LaunchError) -> RunResult:
    if isinstance(error, ProgramMissing):
        return RunResult(127, error=str(error))
    if isinstance(error, ProgramTimedOut):
        return RunResult(124, error=str(error))
    code = error.code if isinstance(error, ProgramFailed) and error.code else 1
    return RunResult(code, error=str(error))


def run(argv: Sequence[str], timeout: float = RUN_TIMEOUT) -> RunResult:
    """Run ``argv`` to its end (at most ``timeout`` seconds) and capture what it prints."""
    try:
        done = run_program(argv, timeout)
    except LaunchError as error:
        return _failure(error)
    return RunResult(0, done.stdout.decode("utf-8", "replace"),
                     done.stderr.decode("utf-8", "replace"))


def launch(argv: Sequence[str], grace: float = 1.0) -> RunResult:
    """Start ``argv`` detached (an opener such as ``xdg-open`` may stay until the player quits);
    a failure within ``grace`` seconds counts, one still running by then has started well."""
    try:
        start_detached(argv, grace)
    except LaunchError as error:
        return _failure(error)
    return RunResult(0)


def open_with_system(target: str, launcher: Runner = launch) -> RunResult:
    """Open ``target`` (a path or URI) as a double click would; it is one argument."""
    command = system_opener()
    if command is None:  # Windows: os.startfile
        try:
            open_uri(target)
        except LaunchError as error:
            return _failure(error)
        return RunResult(0)
    return launcher([*command, target])
