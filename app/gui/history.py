"""The conversation history the window shows: what was heard or typed, what it meant, the reply
and the time; also what was said unasked (a timer or alarm going off). Kept between runs as JSON
in the user data directory, written atomically."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import atomic_write_text
from asr import settings

log = logging.getLogger(__name__)
FILE_NAME = "history.json"
MAX_ENTRIES = 1000
ANNOUNCE_TEXT = "⏰ 到点了"


@dataclass(frozen=True)
class HistoryEntry:
    text: str
    domain: str = ""
    intent: str = ""
    slots: Mapping[str, object] = field(default_factory=dict)
    reply: str = ""
    time: float = 0.0  # seconds since the epoch
    kind: str = "turn"  # "turn": heard or typed, and the reply; "announce": said unasked

    @classmethod
    def announcement(cls, text: str, when: float) -> HistoryEntry:
        """A timer, alarm or reminder that went off (what was said) as a history line."""
        return cls(text=ANNOUNCE_TEXT, reply=text, time=when, kind="announce")

    @property
    def meaning(self) -> str:
        if self.kind == "announce":
            return "提醒"
        if not self.intent:
            return ""
        slots = " ".join(f"{k}={v}" for k, v in self.slots.items())
        return f"{self.domain}.{self.intent} {slots}".rstrip()

    @property
    def clock(self) -> str:
        return time.strftime("%m-%d %H:%M:%S", time.localtime(self.time))

    def matches(self, needle: str) -> bool:
        needle = needle.strip().lower()
        hay = " ".join((self.text, self.meaning, self.reply, self.clock)).lower()
        return not needle or needle in hay

    def as_text(self) -> str:
        return "\t".join((self.clock, self.text, self.meaning, self.reply))

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> HistoryEntry:
        slots = raw.get("slots")
        return cls(text=str(raw.get("text", "")), domain=str(raw.get("domain", "")),
                   intent=str(raw.get("intent", "")),
                   slots=dict(slots) if isinstance(slots, Mapping) else {},
                   reply=str(raw.get("reply") or ""), time=float(raw.get("time", 0.0)),
                   kind="announce" if raw.get("kind") == "announce" else "turn")


def history_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / FILE_NAME


class HistoryStore:
    """Entries in order, oldest first; ``add`` and ``clear`` write the file at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or history_path()
        self.entries: list[HistoryEntry] = self._load()

    def add(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]
        self._save()

    def clear(self) -> None:
        self.entries.clear()
        self._save()

    def _load(self) -> list[HistoryEntry]:
        if not self.path.is_file():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            items = raw.get("entries", []) if isinstance(raw, dict) else []
            return [HistoryEntry.from_json(item) for item in items if isinstance(item, dict)]
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s: cannot read the history (%s); starting empty", self.path, exc)
            return []

    def _save(self) -> None:
        data = {"version": 1, "entries": [_jsonable(e) for e in self.entries]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        except OSError as exc:
            log.warning("%s: cannot save the history (%s)", self.path, exc)


def _jsonable(entry: HistoryEntry) -> dict[str, Any]:
    slots = {k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
             for k, v in entry.slots.items()}
    return {"text": entry.text, "domain": entry.domain, "intent": entry.intent, "slots": slots,
            "reply": entry.reply, "time": entry.time, "kind": entry.kind}
