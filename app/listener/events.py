"""What the listener tells its caller: one event type with a kind, an audio time and fields.

Kinds (the `lingyin listen --json` contract): ``state`` (``state``, ``previous``), ``wake``
(``keyword``, ``start``, ``end``, ``score``), ``speech_start``, ``speech_end``
(``last_speech``, ``reason``), ``partial`` (``text``), ``intent`` (the fields of ``understand``),
``rejected`` (``text``, ``pinyin``), ``reply`` (``text``), ``overflow`` (``count``), ``error``
(``message``). ``t`` is audio time in seconds from the start of the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

KINDS = ("state", "wake", "speech_start", "speech_end", "partial", "intent", "rejected", "reply",
         "overflow", "error")


@dataclass(frozen=True)
class ListenerEvent:
    kind: str
    t: float
    data: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown listener event kind {self.kind!r}")

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, "t": round(self.t, 3), **self.data}

    def describe(self) -> str:
        """One readable line (``lingyin listen`` without ``--json``)."""
        d = self.data
        head = f"[{self.t:7.2f}s] "
        if self.kind == "state":
            return head + f"state: {d.get('state')}"
        if self.kind == "wake":
            return head + f"wake word {d.get('keyword')} (score {d.get('score')})"
        if self.kind == "intent":
            return head + (f"intent {d.get('domain')}.{d.get('intent')} {d.get('slots')} "
                           f"← {d.get('text')} (confidence {d.get('confidence')})")
        if self.kind == "rejected":
            return head + f"not understood: {d.get('text') or '(nothing heard)'}"
        if self.kind in ("partial", "reply"):
            return head + f"{self.kind}: {d.get('text')}"
        if self.kind == "error":
            return head + f"error: {d.get('message')}"
        if self.kind == "overflow":
            return head + f"audio overflow: {d.get('count')} blocks lost"
        extra = " ".join(f"{k}={v}" for k, v in d.items())
        return head + f"{self.kind} {extra}".rstrip()


EventSink = Callable[[ListenerEvent], None]
