"""Lexicon and language-model tables for the pinyin -> Hanzi converter, built once from
packaged data and cached in a compact pickle under the user cache directory.

Sources (all permissively licensed, shipped inside PyPI packages):
- jieba ``dict.txt`` (MIT): ~349k words with corpus frequencies -> word unigram.
- pypinyin (MIT): phrase-aware readings of those words; every reading of single characters.
- Pinyin2Hanzi (MIT) ``hmm_transition.json`` / ``hmm_emission.json``: character bigram
  P(next | previous) and how often each character takes each (toneless) reading.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import pickle
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.pinyin_syllables import Syllable, encode_reading, syllable_from_pinyin

CACHE_FORMAT = "hanzi-lexicon-v2"
MAX_WORD_SYLLABLES = 10
MIN_LOGPROB = -30.0


@dataclass(frozen=True)
class HanziTables:
    # fuzzy key ("s din") -> "word<TAB>reading<TAB>logprob" lines, parsed lazily on lookup
    entries: dict[str, str]
    char_bigram: dict[str, float]  # "ab" -> log P(b | a)
    char_backoff: dict[str, float]  # "a" -> log P(unseen | a)
    char_unigram: dict[str, float]  # "a" -> log P(a) as a word start


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files() -> list[Path]:
    p2h = _package_dir("Pinyin2Hanzi") / "data"
    return [
        _package_dir("jieba") / "dict.txt",
        p2h / "hmm_transition.json",
        p2h / "hmm_emission.json",
        _package_dir("pypinyin") / "phrases_dict.json",
    ]


def cache_key() -> str:
    """Changes whenever the format or any source file changes."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for path in source_files():
        stat = path.stat() if path.exists() else None
        digest.update(f"{path}:{stat.st_size if stat else -1}".encode())
        digest.update(f":{stat.st_mtime_ns if stat else -1}".encode())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    override = os.environ.get("LINGYIN_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lingyin"))


def load_tables() -> HanziTables:
    """Read the cached tables, building and writing them first when missing or stale."""
    path = cache_dir() / f"{CACHE_FORMAT}-{cache_key()}.pickle"
    try:
        with path.open("rb") as handle:
            tables = pickle.load(handle)
        if isinstance(tables, HanziTables):
            return tables
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    tables = build_tables()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(tables, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs the build time on each load
    return tables


class _SyllableMapper:
    """Memoised pypinyin tone-marked syllable -> Syllable."""

    def __init__(self) -> None:
        from pypinyin.contrib.tone_convert import to_finals_tone, to_initials

        self._initials = to_initials
        self._finals = to_finals_tone
        self._memo: dict[str, Syllable | None] = {}

    def __call__(self, pinyin: str) -> Syllable | None:
        if pinyin not in self._memo:
            initial = self._initials(pinyin, strict=False)
            self._memo[pinyin] = syllable_from_pinyin(initial, self._finals(pinyin, strict=False))
        return self._memo[pinyin]


def _is_hanzi(text: str) -> bool:
    return all("\u3400" <= c <= "\u9fff" or c == "〇" for c in text)


def _read_jieba(path: Path) -> dict[str, int]:
    freqs: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit() and _is_hanzi(parts[0]):
                freqs[parts[0]] = max(freqs.get(parts[0], 0), int(parts[1]))
    return freqs


def _word_entries(freqs: dict[str, int], total: float) -> dict[str, dict[str, float]]:
    """Multi-character words with their phrase-aware pypinyin reading."""
    from pypinyin import Style, lazy_pinyin

    mapper = _SyllableMapper()
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for word, freq in freqs.items():
        if len(word) < 2 or len(word) > MAX_WORD_SYLLABLES:
            continue
        pinyins = lazy_pinyin(word, style=Style.TONE, errors="ignore")
        syllables = [mapper(p) for p in pinyins]
        if len(syllables) != len(word) or any(s is None for s in syllables):
            continue
        reading = [s for s in syllables if s is not None]
        key = " ".join(s.fuzzy for s in reading)
        out[key][f"{word}\t{encode_reading(reading)}"] = math.log(freq / total)
    return out


def _char_entries(
    freqs: dict[str, int], total: float, emission: dict[str, dict[str, float]],
    out: dict[str, dict[str, float]],
) -> None:
    """Every reading of every known single character, frequency shared by reading weight."""
    from pypinyin.pinyin_dict import pinyin_dict

    mapper = _SyllableMapper()
    chars = {w for w in freqs if len(w) == 1} | set(emission)
    for char in sorted(chars):
        readings = pinyin_dict.get(ord(char), "").split(",")
        syllables = [s for s in (mapper(r) for r in readings if r) if s is not None]
        if not syllables:
            continue
        weights = emission.get(char, {})
        shares = [weights.get(s.initial + s.final.replace("ü", "v"), 0.0) for s in syllables]
        if sum(shares) <= 0:
            shares = [1.0] * len(syllables)
        # duplicate toneless readings (wéi / wèi) share one emission weight
        counts: dict[str, int] = defaultdict(int)
        for s in syllables:
            counts[s.initial + s.final] += 1
        freq = max(freqs.get(char, 0), 1)
        for s, share in zip(syllables, shares, strict=True):
            weight = max(share, 0.02) / sum(shares) / counts[s.initial + s.final]
            logp = math.log(freq * weight / total)
            entry = f"{char}\t{encode_reading([s])}"
            bucket = out[s.fuzzy]
            bucket[entry] = max(bucket.get(entry, MIN_LOGPROB), logp)


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["data"]


def _char_bigram(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    bigram: dict[str, float] = {}
    backoff: dict[str, float] = {}
    for prev, nexts in _load_json(path).items():
        for char, prob in nexts.items():
            if char == "default":
                backoff[prev] = math.log(prob)
            elif prob > 0:
                bigram[prev + char] = math.log(prob)
    return bigram, backoff


def _char_unigram(freqs: dict[str, int], known: dict[str, float]) -> dict[str, float]:
    """How often each character of the bigram table occurs, from jieba's word frequencies."""
    counts: dict[str, float] = defaultdict(float)
    for word, freq in freqs.items():
        for char in word:
            if char in known:
                counts[char] += freq
    total = sum(counts.values())
    return {c: math.log((counts[c] + 1) / total) for c in known}


def build_tables() -> HanziTables:
    jieba_dict, transition, emission_path, _ = source_files()
    freqs = _read_jieba(jieba_dict)
    total = float(sum(freqs.values()))
    emission: dict[str, dict[str, float]] = _load_json(emission_path)
    grouped = _word_entries(freqs, total)
    _char_entries(freqs, total, emission, grouped)
    entries = {
        key: "\n".join(f"{entry}\t{logp:.3f}" for entry, logp in
                       sorted(bucket.items(), key=lambda item: -item[1]))
        for key, bucket in grouped.items()
    }
    bigram, backoff = _char_bigram(transition)
    return HanziTables(entries, bigram, backoff, _char_unigram(freqs, backoff))
