"""Inverse text normalisation for Mandarin: spoken numbers to digits.

``normalize`` rewrites free text; the ``parse_*`` functions read one slot value and return it
typed. Conventions are documented in docs/itn.md.
"""

from __future__ import annotations

from intents.itn.normalize import MAX_INPUT_CHARS, ItnInputTooLong, normalize
from intents.itn.slots import (
    parse_date,
    parse_duration,
    parse_number,
    parse_percent,
    parse_quantity,
    parse_range,
    parse_time,
)

__all__ = [
    "MAX_INPUT_CHARS",
    "ItnInputTooLong",
    "normalize",
    "parse_date",
    "parse_duration",
    "parse_number",
    "parse_percent",
    "parse_quantity",
    "parse_range",
    "parse_time",
]
