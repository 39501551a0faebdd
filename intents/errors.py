"""Errors in a command grammar. Every one names the file, line and column, and the intent.

A grammar is checked as a whole: loading collects every problem into one :class:`GrammarErrors`
rather than stopping at the first, so a user fixes them all in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from asr.errors import LingyinError


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a grammar or list file; line and column count from 1."""

    file: str
    line: int
    col: int

    def __post_init__(self) -> None:
        if self.line < 1 or self.col < 1:
            raise ValueError(f"line and column count from 1, got {self.line}:{self.col}")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, columns: int) -> Loc:
        return Loc(self.file, self.line, self.col + columns)


@dataclass(frozen=True)
class Problem:
    """One problem: where, what, and in which intent (``domain.intent``) if any."""

    loc: Loc
    message: str
    intent: str | None = None

    def __str__(self) -> str:
        where = f" (intent {self.intent})" if self.intent else ""
        return f"{self.loc}: {self.message}{where}"


class GrammarError(LingyinError):
    """One problem found while reading a grammar; carries its :class:`Problem`."""

    def __init__(self, loc: Loc, message: str, intent: str | None = None) -> None:
        self.problem = Problem(loc, message, intent)
        super().__init__(str(self.problem))

    @property
    def loc(self) -> Loc:
        return self.problem.loc


class GrammarErrors(LingyinError):
    """Every problem of a grammar that could not be loaded (at least one)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.loc, p.message))
        if not self.problems:
            raise ValueError("GrammarErrors needs at least one problem")
        count = len(self.problems)
        head = f"{count} problem{'s' if count > 1 else ''} in the grammar:\n"
        super().__init__(head + "\n".join(str(p) for p in self.problems))


class Collector:
    """Gathers problems while a grammar is read; ``raise_if_any`` ends a phase."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, loc: Loc, message: str, intent: str | None = None) -> None:
        self.problems.append(Problem(loc, message, intent))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def add_error(self, error: GrammarError, intent: str | None = None) -> None:
        problem = error.problem
        if intent and not problem.intent:
            problem = Problem(problem.loc, problem.message, intent)
        self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.problems:
            raise GrammarErrors(self.problems)
