"""The conversation's settings (resources/assistant/<language>.yaml): required slots and their
questions, confirmation words, canned texts and follow-up phrases."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asr import settings
from asr.errors import LingyinError

TRIM = "，。！？、,.!? 　~～"


def normalise(text: str) -> str:
    """Without punctuation, spaces and the particles that never change an answer."""
    out = "".join(c for c in text if c not in TRIM)
    while out and out[-1] in "吧啊呀哦嘛啦呢":
        out = out[:-1]
    return out


@dataclass(frozen=True)
class Required:
    any_of: tuple[str, ...]
    ask: str


@dataclass(frozen=True)
class Direction:
    phrases: frozenset[str]
    after: Mapping[str, str]  # last intent pattern (fnmatch) → intent to run

    def target(self, last_intent: str) -> str | None:
        return next((v for k, v in self.after.items() if fnmatch.fnmatchcase(last_intent, k)),
                    None)


@dataclass(frozen=True)
class Policy:
    required: Mapping[str, Required] = field(default_factory=dict)
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    cancel: frozenset[str] = frozenset()
    texts: Mapping[str, str] = field(default_factory=dict)
    more: Direction = Direction(frozenset(), {})
    less: Direction = Direction(frozenset(), {})
    follow_up_seconds: float = 120.0
    question_seconds: float = 20.0  # a question (打给谁？, 确定要关机吗？) lapses after this

    def text(self, key: str, **values: object) -> str:
        template = self.texts.get(key, key)
        return template.format(**values) if values else template

    @staticmethod
    def load(path: Path | None = None, language: str = "zh-CN") -> Policy:
        path = path or settings.resource_path(f"assistant/{language}.yaml")
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
            return _parse(raw)
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise LingyinError(f"{path}: cannot read the assistant's settings ({exc}); "
                               "reinstall Lingyin or fix the file") from exc


def _words(raw: Any) -> frozenset[str]:
    return frozenset(normalise(str(w)) for w in raw or ())


def _direction(raw: Any) -> Direction:
    raw = raw or {}
    return Direction(_words(raw.get("phrases")), dict(raw.get("after") or {}))


def _parse(raw: Any) -> Policy:
    required = {key: Required(tuple(value["any"]), str(value["ask"]))
                for key, value in (raw.get("required") or {}).items()}
    return Policy(required=required, yes=_words(raw["confirm_words"]),
                  no=_words(raw["refuse_words"]), cancel=_words(raw["cancel_words"]),
                  texts={k: str(v) for k, v in (raw.get("texts") or {}).items()},
                  more=_direction(raw.get("more")), less=_direction(raw.get("less")),
                  follow_up_seconds=float(raw.get("follow_up_seconds", 120)),
                  question_seconds=float(raw.get("question_seconds", 20)))
