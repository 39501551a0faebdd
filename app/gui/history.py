"""The conversation history the window shows: what was heard or typed, what it meant, the reply
and the time; also what was said unasked (a timer or alarm going off). Kept between runs as JSON
in the user data directory, written atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.datafiles import DataFile, FileKind, Salvage, salvage_list
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
    def from_json(cls, raw: object) -> HistoryEntry:
        """One entry as saved; ValueError or TypeError when it is not one."""
        if not isinstance(raw, Mapping):
            raise TypeError("an entry must be a JSON object")
        texts = {key: raw.get(key, "") for key in ("text", "domain", "intent")}
        reply = raw.get("reply") or ""
        if not all(isinstance(v, str) for v in (*texts.values(), reply)):
            raise TypeError("text, domain, intent and reply must be text")
        when = raw.get("time", 0.0)
        if isinstance(when, bool) or not isinstance(when, int | float):
            raise TypeError("time must be a number")
        slots = raw.get("slots") or {}
        if not isinstance(slots, Mapping):
            raise TypeError("slots must be a JSON object")
        return cls(**texts, slots=dict(slots), reply=reply, time=float(when),
                   kind="announce" if raw.get("kind") == "announce" else "turn")


def history_path(data_dir: Path | None = None) -> Path:
    return (data_dir or settings.data_dir()) / FILE_NAME


def salvage_history(raw: Any, damaged: bool) -> Salvage[list[HistoryEntry]]:
    return salvage_list(raw, "entries", HistoryEntry.from_json, damaged)


HISTORY_FILE = FileKind(salvage_history, list, "条记录", "entries")


class HistoryStore:
    """Entries in order, oldest first; ``add`` and ``clear`` write the file at once. A bad entry
    is set aside alone, and a damaged file is kept beside it (app/datafiles.py)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or history_path()
        self.file = DataFile(self.path, HISTORY_FILE)
        self.entries: list[HistoryEntry] = self.file.read()

    def add(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]
        self._save()

    def clear(self) -> None:
        self.entries.clear()
        self._save()

    def _save(self) -> None:
        data = {"version": 1, "entries": [_jsonable(e) for e in self.entries]}
        try:
            self.file.write_json(data)
        except OSError as exc:
            log.warning("%s: cannot save the history (%s)", self.path, exc)


def _jsonable(entry: HistoryEntry) -> dict[str, Any]:
    slots = {k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
             for k, v in entry.slots.items()}
    return {"text": entry.text, "domain": entry.domain, "intent": entry.intent, "slots": slots,
            "reply": entry.reply, "time": entry.time, "kind": entry.kind}
