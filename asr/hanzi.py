"""Free-text pinyin -> Hanzi: the recogniser's tonal pinyin tokens become Chinese characters.

The syllables form a lattice of lexicon words whose readings match a span (tones and common
initial/final confusions tolerated at a penalty; words of 2-4 syllables also with one syllable
swapped for an acoustically close one, at a higher penalty), plus numeral runs. A beam search
over it scores each path by the KenLM word trigram (asr.hanzi_lm; words it does not know get its
<unk> probability plus a penalty), keeping a few best histories per position, one per language
model state (the last two words). Spelled letters pass through and reset the context.

    converter = HanziConverter.load()
    converter.convert("sh è d ìng èr sh í j iǔ d ù")   # -> "设定二十九度"
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from asr.hanzi_data import MAX_WORD_SYLLABLES, HanziTables, lexicon_path, load_tables
from asr.hanzi_lm import UnigramWords, WordLM, load_kenlm
from asr.pinyin_syllables import Syllable, Unit, decode_reading, group_units, neighbours

# Readings of numeral characters; on equal mismatch the first listed wins (一 before 亿).
_NUMERAL_READINGS: tuple[tuple[str, Syllable], ...] = tuple(
    (char, Syllable(initial, final, tone))
    for char, initial, final, tone in (
        ("零", "l", "ing", 2), ("一", "y", "i", 1), ("一", "y", "i", 2), ("一", "y", "i", 4),
        ("二", "", "er", 4), ("两", "l", "iang", 3), ("三", "s", "an", 1), ("四", "s", "i", 4),
        ("五", "w", "u", 3), ("六", "l", "iu", 4), ("七", "q", "i", 1), ("八", "b", "a", 1),
        ("九", "j", "iu", 3), ("十", "sh", "i", 2), ("百", "b", "ai", 3),
        ("千", "q", "ian", 1), ("万", "w", "an", 4), ("亿", "y", "i", 4), ("幺", "y", "ao", 1),
        ("点", "d", "ian", 3),
    )
)


_CONFUSED_CANDIDATES = 5  # per confused span
_NUMBER_LOGPROB = -5.0  # a numeral run's log-probability under the unigram fallback


@dataclass(frozen=True)
class Penalties:
    """Costs (in natural-log units) of a lexicon reading that differs from the heard syllable,
    and the weights of the language-model parts. Tuned on odd ids of the S0150 dev set."""

    tone: float = 5.0  # a different tone
    neutral: float = 2.0  # either side neutral (tone 5)
    sandhi: float = 2.0  # heard tone 2 for a lexicon tone 3 (third-tone sandhi)
    initial: float = 5.0  # zh/z, ch/c, sh/s, n/l
    final: float = 5.0  # in/ing, en/eng
    skip: float = 25.0  # a syllable no lexicon entry covers is dropped
    confusion: float = 9.0  # one syllable of a word read as an acoustically close one
    confusion_span: int = 4  # longest word (in syllables) tried with a confused syllable
    number_char: float = 1.5  # cost per character of a numeral run the model does not know
    oov: float = 3.0  # added to <unk>'s probability for a lexicon word the model does not know
    word_bonus: float = 0.0  # added per word: > 0 favours more, shorter words
    lm_weight: float = 1.4  # scale of the language model's log-probabilities
    max_candidates: int = 25  # per span, best by unigram minus penalty
    beam: int = 6  # histories kept per lattice position


@dataclass(frozen=True)
class _Candidate:
    word: str
    reading: tuple[Syllable, ...]
    unigram: float
    share: float  # log share of this reading among the word's readings

    @property
    def logprob(self) -> float:
        return self.unigram + self.share


@dataclass(frozen=True)
class _Edge:
    end: int
    word: str  # "" for a dropped syllable; a letter for a spelled letter
    unigram: float  # lexicon log-probability of the word
    penalty: float  # reading mismatch cost, minus the log share of the reading
    letter: bool = False


@dataclass(frozen=True)
class _Path:
    score: float
    state: Hashable  # language-model context
    text: tuple[str, ...]


class HanziConverter:
    def __init__(
        self, tables: HanziTables, penalties: Penalties | None = None, lm: WordLM | None = None
    ) -> None:
        self._tables = tables
        self.penalties = penalties or Penalties()
        self.lm: WordLM = lm or UnigramWords()
        self._parsed: dict[str, list[_Candidate]] = {}
        self.load_seconds = 0.0

    @staticmethod
    def load(penalties: Penalties | None = None) -> HanziConverter:
        """Load the language model and the cached lexicon tables (building them once when
        missing). Without the model file: a warning on stderr and the unigram fallback."""
        start = time.perf_counter()
        lm = load_kenlm()
        converter = HanziConverter(load_tables(lm), penalties, lm)
        converter.load_seconds = time.perf_counter() - start
        return converter

    def convert(self, pinyin_tokens: str) -> str:
        """"n ǐ h ǎo" -> "你好". Never raises on odd token sequences."""
        return self._search(group_units(pinyin_tokens))[1]

    def score(self, pinyin_tokens: str) -> tuple[float, str]:
        """The best path's language-model score (log domain) and its text."""
        return self._search(group_units(pinyin_tokens))

    def convert_nbest(
        self, hypotheses: list[tuple[str, float]], weight: float = 1.5, top: int = 3
    ) -> str:
        """Best text over the ``top`` N-best pinyin (tokens, acoustic log-score), best first:
        acoustic * weight + LM. Hypotheses past the third rarely win (odd-id dev set)."""
        best: tuple[float, str] | None = None
        for tokens, acoustic in hypotheses[:top]:
            lm, text = self.score(tokens)
            total = weight * acoustic + lm
            if best is None or total > best[0]:
                best = (total, text)
        return best[1] if best else ""

    # -- lattice -------------------------------------------------------------------------------

    def _candidates(self, key: str) -> list[_Candidate]:
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = []
            for line in self._tables.entries.get(key, "").splitlines():
                word, reading, unigram, share = line.split("\t")
                parsed.append(
                    _Candidate(word, decode_reading(reading), float(unigram), float(share))
                )
            if len(self._parsed) > 5_000:  # bounded for an always-on listener
                self._parsed.clear()
            self._parsed[key] = parsed
        return parsed

    def _mismatch(self, heard: tuple[Syllable, ...], reading: tuple[Syllable, ...]) -> float:
        p = self.penalties
        cost = 0.0
        for h, r in zip(heard, reading, strict=True):
            if h.tone != r.tone:
                if h.tone == 5 or r.tone == 5:
                    cost += p.neutral
                elif h.tone == 2 and r.tone == 3:
                    cost += p.sandhi
                else:
                    cost += p.tone
            if h.initial != r.initial:
                cost += p.initial
            if h.final != r.final:
                cost += p.final
        return cost

    def _edges_from(self, units: list[Unit], start: int) -> list[_Edge]:
        first = units[start]
        if first.syllable is None:
            return [_Edge(start + 1, first.letter, 0.0, 0.0, letter=True)]
        edges: list[_Edge] = []
        limit = min(len(units), start + MAX_WORD_SYLLABLES)
        heard: list[Syllable] = []
        for end in range(start + 1, limit + 1):
            syllable = units[end - 1].syllable
            if syllable is None:
                break
            heard.append(syllable)
            key = " ".join(s.fuzzy for s in heard)
            scored = [
                (c.logprob - self._mismatch(tuple(heard), c.reading), c)
                for c in self._candidates(key)
            ]
            scored.sort(key=lambda item: -item[0])
            edges.extend(
                _Edge(end, c.word, c.unigram, c.unigram - s)
                for s, c in scored[: self.penalties.max_candidates]
            )
        edges.extend(self._number_edges(units, start))
        edges.extend(self._confused_edges(units, start))
        edges.append(_Edge(start + 1, "", 0.0, self.penalties.skip))
        return edges

    def _confused_edges(self, units: list[Unit], start: int) -> list[_Edge]:
        """Words of 2+ syllables whose reading is one confusable syllable away from the heard
        ones (zhong/zheng, ji/jin, b/m ...): the recogniser's likeliest slips."""
        p = self.penalties
        edges: list[_Edge] = []
        heard: list[Syllable] = []
        for end in range(start + 1, min(len(units), start + p.confusion_span) + 1):
            syllable = units[end - 1].syllable
            if syllable is None:
                break
            heard.append(syllable)
            if len(heard) < 2:
                continue
            keys = [s.fuzzy for s in heard]
            for i, original in enumerate(heard):
                for other in neighbours(original):
                    key = " ".join([*keys[:i], other.fuzzy, *keys[i + 1:]])
                    if key not in self._tables.entries:
                        continue
                    variant = (*heard[:i], other, *heard[i + 1:])
                    scored = sorted(
                        ((c.logprob - self._mismatch(variant, c.reading), c)
                         for c in self._candidates(key)),
                        key=lambda item: -item[0],
                    )
                    edges.extend(
                        _Edge(end, c.word, c.unigram, c.unigram - s + p.confusion)
                        for s, c in scored[:_CONFUSED_CANDIDATES]
                    )
        return edges

    def _number_edges(self, units: list[Unit], start: int) -> list[_Edge]:
        """Runs of numeral characters from ``start``: each syllable read as its closest numeral
        (same fuzzy key), "点" only inside a run."""
        edges: list[_Edge] = []
        chars: list[str] = []
        penalty = 0.0
        for end in range(start + 1, len(units) + 1):
            heard = units[end - 1].syllable
            if heard is None:
                break
            options = [
                (self._mismatch((heard,), (reading,)), char)
                for char, reading in _NUMERAL_READINGS
                if reading.fuzzy == heard.fuzzy and (char != "点" or chars)
            ]
            if not options:
                break
            cost, char = min(options, key=lambda option: option[0])
            chars.append(char)
            penalty += cost
            if char != "点":
                word = "".join(chars)
                cost = 0.0 if word in self.lm else self.penalties.number_char * len(chars)
                edges.append(_Edge(end, word, _NUMBER_LOGPROB, penalty + cost))
        return edges

    # -- search --------------------------------------------------------------------------------

    def _search(self, units: list[Unit]) -> tuple[float, str]:
        if not units:
            return 0.0, ""
        lm = self.lm
        beams: list[dict[Hashable, _Path]] = [{} for _ in range(len(units) + 1)]
        start_state = lm.begin()
        beams[0][start_state] = _Path(0.0, start_state, ())
        for start in range(len(units)):
            paths = sorted(beams[start].values(), key=lambda p: -p.score)
            paths = paths[: self.penalties.beam]
            if not paths:
                continue
            for edge in self._edges_from(units, start):
                self._extend(paths, edge, beams[edge.end])
        final = max(beams[-1].values(), key=lambda p: p.score + lm.end(p.state))
        return final.score + lm.end(final.state), "".join(final.text)

    def _extend(self, paths: list[_Path], edge: _Edge, target: dict[Hashable, _Path]) -> None:
        """Append one lattice edge to each path; keep the best path per language-model state."""
        p = self.penalties
        lm = self.lm
        for path in paths:
            if not edge.word:  # dropped syllable: the context carries over
                state, score = path.state, path.score - edge.penalty
            elif edge.letter:  # a spelled letter resets the context
                state, score = lm.begin(), path.score
            else:
                logprob, state, known = lm.step(path.state, edge.word, edge.unigram)
                if not known:
                    logprob -= p.oov
                score = path.score + p.lm_weight * logprob - edge.penalty + p.word_bonus
            held = target.get(state)
            if held is None or score > held.score:
                target[state] = _Path(score, state, (*path.text, edge.word))


class LazyConverter:
    """A converter's ``convert`` that loads the converter at its first call (the language model
    and the mapped lexicon: ~20 MB and the pages a search touches), once, whichever thread asks
    first; a start that never converts free speech never loads it."""

    def __init__(self, load: Callable[[], HanziConverter] | None = None) -> None:
        self._load = load if load is not None else HanziConverter.load
        self._lock = threading.Lock()
        self._converter: HanziConverter | None = None

    @property
    def loaded(self) -> bool:
        return self._converter is not None

    def converter(self) -> HanziConverter:
        converter = self._converter
        if converter is None:
            with self._lock:
                if self._converter is None:
                    self._converter = self._load()
                converter = self._converter
        return converter

    def __call__(self, pinyin_tokens: str) -> str:
        return self.converter().convert(pinyin_tokens)


def lazy_to_hanzi() -> Callable[[str], str]:
    """The pinyin→Hanzi ``convert`` to give an understander: loaded at its first use when its
    lexicon is built; when it is not (the first run), built and loaded now, announced on stderr,
    so that no command waits half a minute for it."""
    if lexicon_path().is_file():
        return LazyConverter()
    return HanziConverter.load().convert


def character_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance, reference length) over characters."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_char in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_char in enumerate(hypothesis, 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_char != hyp_char)
            )
        previous = current
    return previous[-1], len(reference)


__all__ = ["HanziConverter", "LazyConverter", "Penalties", "character_error_rate",
           "lazy_to_hanzi"]
