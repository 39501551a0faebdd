"""The word language model of the pinyin -> Hanzi converter.

The model is fcitx5's libime Chinese word trigram (LGPL-2.1+), a KenLM binary that Debian ships
in ``libime-data-language-model`` as ``/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm`` (~17 MB,
memory-mapped). The setting ``LINGYIN_HANZI_LM`` (asr/settings.py) names another KenLM file.
When the file is missing the converter still works on the lexicon unigram alone (clearly
worse), after one warning on stderr.

Scores are natural logs. A state is the model's context (KenLM keeps at most the last two
words, fewer when the model backs off), so search hypotheses with equal states are recombined.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Protocol

from asr import settings

LM_PACKAGE = "libime-data-language-model"
NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两幺")
_LN10 = math.log(10.0)
_CACHE_LIMIT = 10_000  # ~4 MB: an always-on listener converts free speech for hours


def is_number(word: str) -> bool:
    """A word of numeral characters only ("一三八", "二十", "点" allowed inside)."""
    return bool(word) and word[0] in NUMERALS and word[-1] in NUMERALS and all(
        c in NUMERALS or c == "点" for c in word
    )


class WordLM(Protocol):
    """What the converter's search needs from a language model."""

    is_kenlm: bool

    def __contains__(self, word: str) -> bool:
        """Whether the model knows the word."""

    def begin(self) -> Hashable:
        """The sentence-start state."""

    def step(self, state: Hashable, word: str, unigram: float) -> tuple[float, Hashable, bool]:
        """(log P(word | state), next state, whether the model knows the word). ``unigram`` is
        the lexicon's own log-probability of the word, for models that need it."""

    def end(self, state: Hashable) -> float:
        """log P(end of sentence | state)."""


class KenLMWords:
    """A KenLM word model with a memo of (state, word) steps."""

    is_kenlm = True

    def __init__(self, model: Any) -> None:
        import kenlm

        self._kenlm = kenlm
        self._model = model
        self._memo: dict[tuple[Hashable, str], tuple[float, Hashable, bool]] = {}

    def __contains__(self, word: str) -> bool:
        return word in self._model

    def begin(self) -> Hashable:
        state = self._kenlm.State()
        self._model.BeginSentenceWrite(state)
        return state  # type: ignore[no-any-return]

    def step(self, state: Hashable, word: str, unigram: float) -> tuple[float, Hashable, bool]:
        key = (state, word)
        hit = self._memo.get(key)
        if hit is None:
            out = self._kenlm.State()
            logprob = self._model.BaseScore(state, word, out) * _LN10
            hit = (logprob, out, word in self._model)
            if len(self._memo) > _CACHE_LIMIT:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def end(self, state: Hashable) -> float:
        return self.step(state, "</s>", 0.0)[0]

    def unigram(self, word: str) -> float:
        """Context-free log-probability (of <unk> for unknown words)."""
        return float(self._model.score(word, bos=False, eos=False)) * _LN10


class UnigramWords:
    """Fallback without a KenLM file: the lexicon unigram, no context."""

    is_kenlm = False

    def __contains__(self, word: str) -> bool:
        return False

    def begin(self) -> Hashable:
        return None

    def step(self, state: Hashable, word: str, unigram: float) -> tuple[float, Hashable, bool]:
        return unigram, None, True

    def end(self, state: Hashable) -> float:
        return 0.0


def load_kenlm(path: Path | None = None) -> KenLMWords | None:
    """The KenLM model at ``path`` (default: the setting), or None after a one-line warning."""
    path = path or settings.hanzi_lm_path()
    if not path.is_file():
        print(
            f"lingyin: Hanzi language model {path} not found; converting with a unigram only "
            f"(much less accurate). Fix: apt-get install {LM_PACKAGE} (or set LINGYIN_HANZI_LM)",
            file=sys.stderr,
        )
        return None
    import kenlm

    return KenLMWords(kenlm.Model(str(path)))


def kenlm_vocabulary(path: Path) -> list[str]:
    """The words of a KenLM binary file: it ends with them, NUL-terminated, from <unk> on."""
    data = path.read_bytes()
    start = data.rfind(b"<unk>\x00")
    if start < 0:
        return []
    words = data[start:].split(b"\x00")
    return [w.decode("utf-8", errors="replace") for w in words[1:] if w]
