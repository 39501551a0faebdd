"""The matching stages, in the order the matcher tries them: one table, one row per stage.

A stage is named by a string everywhere ("mode"); what each one compares and how much a match
there is worth lives only here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    confidence: float  # what a full match at this stage is worth at most
    pinyin: bool  # compares pinyin tokens (one character per syllable), not characters
    near_lists: bool  # list values may be heard wrongly: the nearest item by syllables
    tolerates: str


STAGES = (
    Stage("text", 1.00, False, False, "nothing (case, spaces and punctuation aside)"),
    Stage("skip", 0.95, False, False, "missing or extra skip words (请, 帮我, 一下, 吧…)"),
    Stage("plain", 0.85, True, False, "homophones: the same toneless pinyin"),
    Stage("fuzzy", 0.75, True, False, "near-homophones: zh/z, ch/c, sh/s, n/l, ing/in, eng/en"),
    Stage("loose", 0.80, True, True, "list values heard wrongly (times the similarity)"),
)
BY_NAME = {stage.name: stage for stage in STAGES}
MODES = tuple(stage.name for stage in STAGES)
PINYIN_MODES = tuple(stage.name for stage in STAGES if stage.pinyin)
BASE = {stage.name: stage.confidence for stage in STAGES}
# Typed text is what the person wrote: a sentence that only sounds like a command (音乐先停停 is
# not 音乐先听听) is not one. Speech, heard as Hanzi by free decoding, goes through every stage.
TYPED_MODES = tuple(stage.name for stage in STAGES if not stage.pinyin)
