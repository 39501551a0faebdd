"""Speech to intent: decode audio against the grammar's token graph, beside free decoding.

Both searches share one encoder pass; free decoding is biased toward the grammar's words and
list items (asr/hotwords.py) so names and titles come out right in transcripts too. The
constrained path is accepted when its acoustic score is close enough to free decoding's (a
log-likelihood ratio per token, ``threshold``); otherwise the free transcript, as Hanzi, goes to
the fuzzy text matcher, and a confident match there is taken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from asr.audio import SAMPLE_RATE, Samples
from asr.graph import LatticeMemo, TokenGraph, tone_neighbours
from asr.hotwords import HotwordContext, phrase_tokens
from asr.labels import (
    DigitLabel,
    IntentLabel,
    Label,
    SlotBegin,
    SlotEnd,
    SlotValue,
    TextLabel,
    TokenLabel,
)
from asr.recognizer import Recognizer, Result, Stream
from asr.search import BeamSearch, Decoded, PairedSearch
from intents.compile import TONE_COST, grammar_phrases, load_or_compile
from intents.evidence import digits_heard, words_heard
from intents.model import Grammar, Intent
from intents.sentence_kind import sentence_kind
from intents.slots import DigitsSlot, ListSlot, WildcardSlot

ToHanzi = Callable[[str], str]  # model tokens ("n ǐ h ǎo") → Hanzi ("你好")

DEFAULT_THRESHOLD = -1.5  # minimum log-likelihood ratio per token against free decoding
# the grammar-constrained search keeps more hypotheses than free decoding: its tokens are few,
# and in noise a narrow beam loses every path that can still finish (measured on dev, 10 dB)
GRAPH_BEAM = 12
TEXT_MATCH_MIN = 0.8  # confidence the text matcher needs when the graph path is rejected
# a path of at most this many tokens (two syllables: 凉, 暂停) needs this much more evidence
SHORT_PATH_TOKENS = 4
SHORT_PATH_MARGIN = 1.0
UNSURE_CONFIDENCE = 0.79  # the confidence of a result to confirm (below the matcher's 0.8)
READ_BACK_DIGITS = 7  # a digit string this long is always read back before acting
STEADY_SAMPLES = SAMPLE_RATE // 5  # free decoding unchanged this long: convert it ahead


@dataclass(frozen=True)
class Understanding:
    text: str  # the sentence as written in the grammar, or what was heard when rejected
    pinyin: str  # free decoding's tokens
    rejected: bool
    domain: str = ""
    intent: str = ""
    slots: dict[str, object] = field(default_factory=dict)
    confidence: float = 0.0
    source: str = "graph"  # "graph" or "text" (the fuzzy matcher after a rejection)
    ratio: float = -math.inf
    reason: str = ""  # why it was rejected (see SpeechUnderstander), or why it is unsure
    unsure: bool = False  # a value free decoding did not hear: confirm before acting
    asks: bool = False  # the intent itself asks before acting (grammar ``confirm: true``)

    def to_json(self, file: str | None = None) -> dict[str, object]:
        out: dict[str, object] = {} if file is None else {"file": file}
        out.update(text=self.text, pinyin=self.pinyin)
        score = round(self.ratio, 3) if math.isfinite(self.ratio) else None
        if self.rejected:
            out.update(rejected=True, reason=self.reason or "no_match", score=score)
            return out
        out.update(domain=self.domain, intent=self.intent, slots=self.slots,
                   confidence=round(self.confidence, 3), rejected=False, score=score,
                   source=self.source, confirm=self.unsure or self.asks)
        if self.reason:
            out["reason"] = self.reason
        return out


class SpeechUnderstander:
    """The shared part: recogniser, grammar, its compiled graph and the text fallback.

    ``to_hanzi`` turns free decoding's tokens into Hanzi (``load_to_hanzi()`` loads the usual
    converter; load it once and pass it to every understander). The graph comes from the graph
    cache when this grammar was compiled before (intents/compile.py ``load_or_compile``).
    """

    def __init__(self, recognizer: Recognizer, grammar: Grammar, *, to_hanzi: ToHanzi,
                 threshold: float = DEFAULT_THRESHOLD, beam: int = 4,
                 graph_beam: int = GRAPH_BEAM, matcher: Any = None) -> None:
        if beam < 1 or graph_beam < 1:
            raise ValueError(f"beams must be at least 1, got beam={beam}, graph_beam={graph_beam}")
        self.recognizer = recognizer
        self.grammar = grammar
        self.threshold = threshold
        self.beam = beam
        self.graph_beam = graph_beam
        ids = recognizer.model.tokens.ids()
        self.graph: TokenGraph = load_or_compile(grammar, ids)
        self.similar = tone_neighbours(recognizer.model.tokens.symbols)
        self.context = self.graph.context(self.similar, TONE_COST)
        self.bias = HotwordContext(phrase_tokens(grammar_phrases(grammar), ids))
        self.to_hanzi = to_hanzi
        self.matcher = matcher if matcher is not None else _default_matcher(grammar)

    def stream(self) -> UnderstandingStream:
        model = self.recognizer.model
        both = PairedSearch(BeamSearch(model, self.graph_beam, self.context),
                            BeamSearch(model, self.beam, self.bias))
        return UnderstandingStream(self, Stream(model, both, SAMPLE_RATE), both)

    def understand(self, samples: Samples) -> Understanding:
        stream = self.stream()
        stream.accept(samples)
        return stream.finish()


class UnderstandingStream:
    def __init__(self, owner: SpeechUnderstander, stream: Stream, both: PairedSearch) -> None:
        self.owner, self.stream, self.both = owner, stream, both
        self._heard_text: tuple[str, str] | None = None  # (free pinyin, its Hanzi)
        self.memo = LatticeMemo()  # the grammar path's alignment, walked as it grows
        self._steady = ("", 0)  # free decoding's pinyin and for how many samples it has held

    def accept(self, samples: Samples) -> None:
        """Decode more audio, and do now what the decision will need: walk the grammar path's
        alignment as it grows, and convert what free decoding heard once it has held still
        for a moment (the speaker has likely stopped), so the decision itself only finishes."""
        self.stream.accept(samples)
        path = self.both.constrained.best()
        if path is not None and path.tokens:
            self.owner.graph.lattice(path.tokens, self.owner.similar, TONE_COST, self.memo)
        free = self.stream.partial()
        held = self._steady[1] + len(samples) if free.pinyin == self._steady[0] else 0
        self._steady = (free.pinyin, held)
        if (held >= STEADY_SAMPLES and free.tokens and getattr(self.owner.to_hanzi, "loaded", True)
                and (self._heard_text is None or self._heard_text[0] != free.pinyin)):
            self._heard(free)

    def partial(self) -> Result:
        return self.stream.partial()

    def partial_text(self) -> str:
        """What was heard so far, in Hanzi: the grammar path's syllables while it keeps up with
        free decoding (设定二十九, not 是第二十九), else free decoding's."""
        free = self.stream.partial()
        path = self.both.constrained.best()
        tokens = free.tokens
        if (path is not None and path.tokens and free.tokens
                and (path.score - free.score) / len(path.tokens) >= self.owner.threshold):
            tokens = path.tokens
        return self._wild_text(tokens) if tokens else ""

    def finish(self) -> Understanding:
        free = self.stream.finish()
        constrained = self.both.constrained.best(final=True)
        reason = "no_path"
        if constrained is not None and constrained.tokens:
            ratio = (constrained.score - free.score) / len(constrained.tokens)
            reason = self._path_refusal(constrained, free, ratio)
            if not reason:
                found = self._from_path(constrained, free, ratio)
                if found is not None and found.reason.startswith(("question", "negation")):
                    reason = found.reason
                elif found is not None:
                    return found
        else:
            ratio = -math.inf
        return self._fallback(free, ratio, reason)

    def _path_refusal(self, path: Decoded, free: Result, ratio: float) -> str:
        """Why the grammar path may not be taken ("" when it may)."""
        if not free.tokens:  # free decoding heard nothing: a forced path explains nothing
            return "nothing_heard"
        needed = self.owner.threshold
        if len(path.tokens) <= SHORT_PATH_TOKENS:
            needed += SHORT_PATH_MARGIN  # one syllable (凉) fits too much by chance
        return "" if ratio >= needed else "low_score"

    def _from_path(self, path: Decoded, free: Result, ratio: float) -> Understanding | None:
        aligned = self.owner.graph.align(path.tokens, self.owner.similar, TONE_COST,
                                         self.memo)
        if aligned is None:
            return None
        labels, _ = aligned
        intent_key, text, slots = read_labels(labels, self._wild_text)
        intent = self.owner.grammar.intent(intent_key)
        if intent is None:
            return None
        refusal = self._kind_refusal(intent, text, free) or self._too_long(intent, slots)
        if refusal:
            return Understanding(text, free.pinyin, True, ratio=ratio, reason=refusal)
        confidence = 1.0 / (1.0 + math.exp(-4.0 * (ratio - self.owner.threshold)))
        unheard = self._unheard_digits(intent, slots, free) or \
            self._unheard_words(intent, labels, free)
        if unheard:
            confidence = min(confidence, UNSURE_CONFIDENCE)
        return Understanding(text, free.pinyin, False, intent.domain, intent.name, slots,
                             confidence, "graph", ratio, unheard, bool(unheard), intent.confirm)

    def _too_long(self, intent: Intent, slots: dict[str, object]) -> str:
        """A free-text value longer than its slot allows (a news sentence is not a title)."""
        for name, value in slots.items():
            slot_def = self.owner.grammar.slot(intent, name)
            if slot_def is not None and isinstance(slot_def.slot, WildcardSlot) \
                    and isinstance(value, str) and not slot_def.slot.fits(value):
                return f"free_text_too_long:{name}"
        return ""

    def _kind_refusal(self, intent: Intent, text: str, free: Result) -> str:
        """A question or a negation (in the path's sentence or in what free decoding heard)
        that this intent may not take."""
        matcher = self.owner.matcher
        if matcher is None or not hasattr(matcher, "refusal"):
            return ""
        for sentence in (text, self._heard(free)):
            why = str(matcher.refusal(sentence_kind(sentence), intent))
            if why:
                return why
        return ""

    def _unheard_words(self, intent: Intent, labels: list[Label], free: Result) -> str:
        """The reason to confirm when a list item of the path (a title, a name) is not what
        free decoding heard ("" when it is)."""
        slot = ""
        for label in labels:
            match label:
                case SlotBegin(name):
                    slot = name
                case SlotValue(_, written) if slot and written:
                    slot_def = self.owner.grammar.slot(intent, slot)
                    if slot_def is not None and isinstance(slot_def.slot, ListSlot) \
                            and not words_heard(written, free.pinyin):
                        return f"unheard_value:{slot}"
        return ""

    def _unheard_digits(self, intent: Intent, slots: dict[str, object], free: Result) -> str:
        """The reason to confirm a digit string: free decoding did not hear the same digits, or
        it is long enough to be a phone number or a code (in noise both searches can drop the
        same digit; measured in bench/bench_voices.py): read back before acting."""
        for name, value in slots.items():
            slot_def = self.owner.grammar.slot(intent, name)
            if slot_def is None or not isinstance(slot_def.slot, DigitsSlot) \
                    or not isinstance(value, str):
                continue
            if not digits_heard(value, free.pinyin):
                return f"unheard_digits:{name}"
            if len(value) >= READ_BACK_DIGITS:
                return f"read_back_digits:{name}"
        return ""

    def _wild_text(self, tokens: list[int]) -> str:
        return self.owner.to_hanzi(self.owner.recognizer.model.tokens.text(tokens))

    def _heard(self, free: Result) -> str:
        """Free decoding as Hanzi, converted once per utterance."""
        if self._heard_text is None or self._heard_text[0] != free.pinyin:
            self._heard_text = (free.pinyin,
                                self.owner.to_hanzi(free.pinyin) if free.tokens else "")
        return self._heard_text[1]

    def _fallback(self, free: Result, ratio: float, reason: str) -> Understanding:
        heard = self._heard(free)
        match = self.owner.matcher.match(heard) if heard and self.owner.matcher else None
        if match is not None and match.confidence >= TEXT_MATCH_MIN:
            return Understanding(heard, free.pinyin, False, match.domain, match.intent,
                                 dict(match.slots), float(match.confidence), "text", ratio,
                                 unsure=bool(getattr(match, "unsure", False)),
                                 asks=bool(getattr(match, "confirm", False)))
        return Understanding(heard, free.pinyin, True, ratio=ratio, reason=reason)


def read_labels(labels: list[Label], wild_text: Callable[[list[int]], str]
                ) -> tuple[str, str, dict[str, object]]:
    """(intent key, written sentence, typed slots) from a path's labels."""
    intent, parts, slots = "", [], {}
    open_slot: str | None = None
    digits: list[str] = []
    tokens: list[int] = []
    for label in labels:
        match label:
            case IntentLabel(key):
                intent = key
            case TextLabel(text):
                parts.append(text)
            case SlotBegin(slot):
                open_slot, digits, tokens = slot, [], []
            case SlotValue(value, written) if open_slot is not None:
                slots[open_slot] = _plain(value)
                parts.append(written)
            case DigitLabel(digit):
                digits.append(digit)
            case TokenLabel(token):
                tokens.append(token)
            case SlotEnd() if open_slot is not None:
                if digits:
                    slots[open_slot] = "".join(digits)
                    parts.append("".join(digits))
                elif tokens and open_slot not in slots:  # free text, not an English word
                    slots[open_slot] = wild_text(tokens)
                    parts.append(str(slots[open_slot]))
                open_slot = None
    return intent, "".join(parts), slots


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_to_hanzi() -> ToHanzi:
    """Load the pinyin→Hanzi converter (a second or so; the first time ever, it builds its
    lexicon) and return its ``convert``. Each call loads a new one: load once, pass it on."""
    from asr.hanzi import HanziConverter

    return HanziConverter.load().convert


def _default_matcher(grammar: Grammar) -> Any:
    from intents.matcher import Matcher

    return Matcher(grammar)


class LiveUnderstander:
    """The understander in force: recompiled when a grammar or list file changes on disk.

    A broken edit keeps the previous grammar (and graph) in force; its problems are returned by
    ``refresh`` for the caller to show.
    """

    def __init__(self, recognizer: Recognizer, store: Any, *, to_hanzi: ToHanzi,
                 **options: Any) -> None:
        self.recognizer = recognizer
        self.store = store
        self.options = {"to_hanzi": to_hanzi, **options}
        self._grammar: Grammar | None = None
        self._understander: SpeechUnderstander | None = None

    def refresh(self) -> list[Any]:
        problems: list[Any] = self.store.refresh()
        grammar = self.store.grammar
        if grammar is not None and grammar is not self._grammar:
            options = {"matcher": self.store.matcher, **self.options}  # the store's, not a copy
            self._understander = SpeechUnderstander(self.recognizer, grammar, **options)
            self._grammar = grammar
        return problems

    def current(self) -> SpeechUnderstander:
        self.refresh()
        if self._understander is None:
            raise ValueError(f"no usable grammar at {self.store.path}")
        return self._understander
