"""Output labels on token-graph arcs (asr/graph.py): what a decoded path says besides its tokens.

The grammar compiler (intents/compile.py) puts them on arcs; ``TokenGraph.align`` gives them back
in path order for the chosen tokens; ``intents.speech.read_labels`` turns them into the intent,
the written sentence and the slot values. Frozen and hashable: the compiler shares arcs by label.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntentLabel:
    """The path is a sentence of this intent (``domain.name``)."""

    key: str


@dataclass(frozen=True, slots=True)
class TextLabel:
    """Literal words of the sentence, as written in the grammar."""

    text: str


@dataclass(frozen=True, slots=True)
class SlotBegin:
    """A slot's words start here."""

    slot: str


@dataclass(frozen=True, slots=True)
class SlotValue:
    """A list item or range value was said: its value and its written form."""

    value: object
    written: str


@dataclass(frozen=True, slots=True)
class DigitLabel:
    """One digit of a digit-string slot."""

    digit: str


@dataclass(frozen=True, slots=True)
class TokenLabel:
    """A token taken by a free-text (any-token) arc; given by ``align``, never put on arcs."""

    token: int


@dataclass(frozen=True, slots=True)
class SlotEnd:
    """A slot's words end here."""

    slot: str


Label = IntentLabel | TextLabel | SlotBegin | SlotValue | DigitLabel | TokenLabel | SlotEnd
