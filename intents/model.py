"""The loaded grammar as plain frozen dataclasses (what the matcher and the graph compiler read)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from intents.errors import Loc
from intents.slots import Slot, format_number
from intents.template import Node

REPLY_SLOT = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    """One sentence template: its source text, its tree and where it was written."""

    text: str
    node: Node
    loc: Loc


@dataclass(frozen=True)
class Reply:
    text: str
    loc: Loc

    def render(self, slots: Mapping[str, object]) -> str:
        """The reply with ``{slot}`` replaced by the slot's value (numbers without ``.0``)."""

        def one(m: re.Match[str]) -> str:
            value = slots.get(m.group(1), "")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return format_number(value)
            return str(value)

        return REPLY_SLOT.sub(one, self.text)


@dataclass(frozen=True)
class TestCase:
    """A test sentence and the slots it must give (only the slots listed are compared)."""

    __test__ = False  # not a pytest class
    text: str
    slots: Mapping[str, object]
    loc: Loc


@dataclass(frozen=True)
class SlotDef:
    name: str
    slot: Slot
    loc: Loc


@dataclass(frozen=True)
class Rule:
    name: str
    template: Template


@dataclass(frozen=True)
class CustomAction:
    """An action written in the grammar instead of a built-in name (docs/grammar.md):
    ``{run: [argv...]}``, ``{open: URL}`` or ``{http: {method, url, json}}``.

    ``{slot}`` placeholders (``{{``/``}}`` for literal braces) are filled per argument, URL
    component or JSON string by the custom actions; ``slots`` lists them with their places.
    """

    kind: str  # "run", "open" or "http"
    loc: Loc
    argv: tuple[str, ...] = ()  # run
    url: str = ""  # open, http
    method: str = ""  # http
    json: object = None  # http: the body template (plain JSON values), None: no body
    slots: tuple[tuple[str, Loc], ...] = ()  # every {slot} used, where it was written

    def __post_init__(self) -> None:
        if self.kind not in ("run", "open", "http"):
            raise ValueError(f"unknown custom action kind {self.kind!r}")
        if self.kind == "run" and not self.argv:
            raise ValueError("a run action needs a program")

    @property
    def name(self) -> str:
        """The action name the dispatcher looks up: ``custom.run``, ``custom.open``…"""
        return f"custom.{self.kind}"


@dataclass(frozen=True)
class ActionNeeds:
    """What a built-in action reads from an intent's slots: at least one of ``any_of`` (empty:
    nothing in particular). The app declares its actions this way (intents/ never imports it)."""

    any_of: tuple[str, ...] = ()


KnownActions = Mapping[str, ActionNeeds]  # built-in action name → what it needs


@dataclass(frozen=True)
class Intent:
    domain: str
    name: str
    sentences: tuple[Template, ...]
    loc: Loc
    replies: tuple[Reply, ...] = ()
    action: str | None = None
    confirm: bool = False
    tests: tuple[TestCase, ...] = ()
    slots: Mapping[str, SlotDef] = field(default_factory=dict)  # slots defined in the intent
    custom: CustomAction | None = None  # a custom action (``action`` is then its ``name``)
    question: bool = False  # it answers a question: asked sentences (…吗, 是不是…) may match it

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.name}"


@dataclass(frozen=True)
class Grammar:
    intents: tuple[Intent, ...]
    slots: Mapping[str, SlotDef]
    rules: Mapping[str, Rule]
    skip_words: tuple[str, ...] = ()
    language: str = "zh-CN"
    files: tuple[Path, ...] = ()
    lists_dir: Path | None = None
    # words read as other words before matching (冷气 → 空调, light → 灯), longest first
    synonyms: tuple[tuple[str, str], ...] = ()

    def slot(self, intent: Intent, name: str) -> SlotDef | None:
        """The definition ``{name}`` refers to in ``intent``: its own first, then the shared."""
        return intent.slots.get(name) or self.slots.get(name)

    def intent(self, key: str) -> Intent | None:
        return next((i for i in self.intents if i.key == key), None)
