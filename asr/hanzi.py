"""Free-text pinyin -> Hanzi: the recogniser's tonal pinyin tokens become Chinese characters.

The syllables form a lattice of lexicon words whose readings match a span (tones and common
initial/final confusions tolerated at a penalty). A Viterbi search over it scores each path by
word unigram log-probability (jieba frequencies) plus a character-bigram correction at each
word boundary (Pinyin2Hanzi's transition table), keeping a few best histories per position
keyed by their last character. Spelled letters pass through as letters.

    converter = HanziConverter.load()
    converter.convert("sh è d ìng èr sh í j iǔ d ù")   # -> "设定二十九度"
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from asr.hanzi_data import MAX_WORD_SYLLABLES, HanziTables, load_tables
from asr.pinyin_syllables import Syllable, Unit, decode_reading, group_units


@dataclass(frozen=True)
class Penalties:
    """Costs (in natural-log units) of a lexicon reading that differs from the heard syllable,
    and the weights of the language-model parts. Tuned on odd ids of the S0150 dev set."""

    tone: float = 4.0  # a different tone
    neutral: float = 1.0  # either side neutral (tone 5)
    sandhi: float = 1.0  # heard tone 2 for a lexicon tone 3 (third-tone sandhi)
    initial: float = 5.0  # zh/z, ch/c, sh/s, n/l
    final: float = 5.0  # in/ing, en/eng
    skip: float = 25.0  # a syllable no lexicon entry covers is dropped
    word_bonus: float = 0.0  # added per word: > 0 favours more, shorter words
    bigram: float = 0.0  # weight of the boundary character-bigram correction
    max_candidates: int = 40  # per span, best by unigram minus penalty
    beam: int = 12  # histories kept per lattice position


@dataclass(frozen=True)
class _Candidate:
    word: str
    reading: tuple[Syllable, ...]
    logprob: float


@dataclass(frozen=True)
class _Edge:
    end: int
    word: str
    score: float


@dataclass(frozen=True)
class _Path:
    score: float
    last: str  # last character, the bigram context ("" at the start or after a letter)
    text: tuple[str, ...]


class HanziConverter:
    def __init__(self, tables: HanziTables, penalties: Penalties | None = None) -> None:
        self._tables = tables
        self.penalties = penalties or Penalties()
        self._parsed: dict[str, list[_Candidate]] = {}
        self.load_seconds = 0.0

    @staticmethod
    def load(penalties: Penalties | None = None) -> HanziConverter:
        """Load the cached lexicon tables (building them once, ~20 s, when missing)."""
        start = time.perf_counter()
        converter = HanziConverter(load_tables(), penalties)
        converter.load_seconds = time.perf_counter() - start
        return converter

    def convert(self, pinyin_tokens: str) -> str:
        """"n ǐ h ǎo" -> "你好". Never raises on odd token sequences."""
        return self._search(group_units(pinyin_tokens))[1]

    def score(self, pinyin_tokens: str) -> tuple[float, str]:
        """The best path's language-model score (log domain) and its text."""
        return self._search(group_units(pinyin_tokens))

    def convert_nbest(self, hypotheses: list[tuple[str, float]], weight: float = 1.0) -> str:
        """Best text over N-best pinyin (tokens, acoustic log-score): acoustic * weight + LM."""
        best: tuple[float, str] | None = None
        for tokens, acoustic in hypotheses:
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
                word, reading, logprob = line.split("\t")
                parsed.append(_Candidate(word, decode_reading(reading), float(logprob)))
            if len(self._parsed) > 200_000:
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
            return [_Edge(start + 1, first.letter, 0.0)]
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
                (c.logprob - self._mismatch(tuple(heard), c.reading), c.word)
                for c in self._candidates(key)
            ]
            scored.sort(key=lambda item: -item[0])
            edges.extend(_Edge(end, w, s) for s, w in scored[: self.penalties.max_candidates])
        edges.append(_Edge(start + 1, "", -self.penalties.skip))
        return edges

    # -- search --------------------------------------------------------------------------------

    def _boundary(self, last: str, first: str) -> float:
        """log P(first | last) - log P(first): how much the previous character favours this
        word's first character beyond its plain frequency."""
        t = self._tables
        unigram = t.char_unigram.get(first)
        if not self.penalties.bigram or unigram is None or last not in t.char_backoff:
            return 0.0
        bigram = t.char_bigram.get(last + first, t.char_backoff[last])
        return self.penalties.bigram * (bigram - unigram)

    def _search(self, units: list[Unit]) -> tuple[float, str]:
        if not units:
            return 0.0, ""
        beams: list[dict[str, _Path]] = [{} for _ in range(len(units) + 1)]
        beams[0][""] = _Path(0.0, "", ())
        for start in range(len(units)):
            paths = sorted(beams[start].values(), key=lambda p: -p.score)
            paths = paths[: self.penalties.beam]
            if not paths:
                continue
            for edge in self._edges_from(units, start):
                self._extend(paths, edge, units[start].syllable is None, beams[edge.end])
        final = max(beams[-1].values(), key=lambda p: p.score)
        return final.score, "".join(final.text)

    def _extend(
        self, paths: list[_Path], edge: _Edge, is_letter: bool, target: dict[str, _Path]
    ) -> None:
        last = "" if is_letter else (edge.word[-1] if edge.word else None)
        bonus = self.penalties.word_bonus if edge.word else 0.0
        for path in paths:
            score = path.score + edge.score + bonus
            if not is_letter and edge.word:
                score += self._boundary(path.last, edge.word[0])
            key = path.last if last is None else last
            held = target.get(key)
            if held is None or score > held.score:
                target[key] = _Path(score, key, (*path.text, edge.word))


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


__all__ = ["HanziConverter", "Penalties", "character_error_rate"]
