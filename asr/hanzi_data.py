"""Lexicon tables for the pinyin -> Hanzi converter, built once from packaged data and cached
as a memory-mapped table (asr/lexicon_file.py: data, never a pickle) under the user cache
directory (``lingyin models install`` and
``lingyin models prepare`` build it ahead; otherwise the first conversion does, after saying so).

Sources:
- jieba ``dict.txt`` (MIT): ~349k words with corpus frequencies.
- the KenLM word model's vocabulary (asr.hanzi_lm, libime, LGPL-2.1+): ~165k present-day words,
  added to jieba's; the model's unigram ranks them. Without the model, jieba's frequencies do.
- pypinyin (MIT): phrase-aware readings of the words; every reading of single characters.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from asr import settings
from asr.child import run_module
from asr.hanzi_lm import NUMERALS, KenLMWords, is_number, kenlm_vocabulary, load_kenlm
from asr.lexicon_file import BadTable, MappedTable, write_table
from asr.pinyin_syllables import Syllable, encode_reading, syllable_from_pinyin

CACHE_FORMAT = "hanzi-lexicon-v11"  # v11: a mapped table instead of a pickle
BUILD_MESSAGE = "building the pinyin→Hanzi lexicon (once, ~30 s)…"
MAX_WORD_SYLLABLES = 10
READING_FLOOR = 1e-3


@dataclass(frozen=True)
class HanziTables:
    # fuzzy key ("s din") -> "word<TAB>reading<TAB>log unigram<TAB>log reading share" lines,
    # parsed lazily on lookup
    entries: Mapping[str, str]
    with_kenlm: bool  # unigrams from the KenLM model (else from jieba)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files() -> list[Path]:
    return [
        _package_dir("jieba") / "dict.txt",
        _package_dir("pypinyin") / "phrases_dict.json",
        settings.hanzi_lm_path(),
    ]


def cache_key() -> str:
    """Changes whenever the format or any source file changes."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for path in source_files():
        stat = path.stat() if path.exists() else None
        digest.update(f"{path}:{stat.st_size if stat else -1}".encode())
        digest.update(f":{stat.st_mtime_ns if stat else -1}".encode())
    return digest.hexdigest()[:16]


def lexicon_path() -> Path:
    """Where the tables for the current sources are cached (the file may not exist yet)."""
    return settings.cache_dir() / f"{CACHE_FORMAT}-{cache_key()}.table"


def _announce_on_stderr(message: str) -> None:
    print(f"lingyin: {message}", file=sys.stderr, flush=True)


def read_cached(path: Path | None = None) -> HanziTables | None:
    """The cached tables, mapped from the file; None when missing, stale or not a table."""
    path = path or lexicon_path()
    try:
        table = MappedTable(path)
    except (OSError, BadTable):  # missing, unreadable, truncated, another format
        return None
    if table.header.get("format") != CACHE_FORMAT:
        return None
    return HanziTables(table, bool(table.header.get("with_kenlm")))


def write_cache(tables: HanziTables, path: Path | None = None) -> bool:
    """Write atomically (temp file, then rename) and drop older versions (pickles of earlier
    releases included); False when the cache folder is not writable (each load then builds
    the tables again)."""
    path = path or lexicon_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(path, tables.entries,
                    {"format": CACHE_FORMAT, "with_kenlm": tables.with_kenlm})
        for stale in path.parent.glob(f"{CACHE_FORMAT.rsplit('-', 1)[0]}-*"):
            if stale != path and stale.suffix in (".pickle", ".table"):
                stale.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def load_tables(lm: KenLMWords | None,
                announce: Callable[[str], None] | None = _announce_on_stderr) -> HanziTables:
    """Read the cached tables, building and writing them first when missing or stale; a build
    is announced (one line on stderr by default) because it takes half a minute."""
    path = lexicon_path()
    tables = read_cached(path)
    if tables is not None:
        return tables
    if announce is not None:
        announce(BUILD_MESSAGE)
    if path == lexicon_path() and run_module("asr.hanzi_data", ["--build"]):
        tables = read_cached(path)  # built by a child: its ~400 MB peak went with it
        if tables is not None:
            return tables
    tables = build_tables(lm)
    if write_cache(tables, path):
        return read_cached(path) or tables  # mapped: the built dict is freed
    return tables


@dataclass(frozen=True)
class Prepared:
    path: Path
    built: bool  # False: the cached tables were already there
    saved: bool  # False: built, but the cache folder is not writable


def prepare_lexicon(announce: Callable[[str], None] | None = None) -> Prepared:
    """Build and cache the tables now unless a valid cache exists (install and setup time)."""
    path = lexicon_path()
    if read_cached(path) is not None:
        return Prepared(path, built=False, saved=True)
    if announce is not None:
        announce(BUILD_MESSAGE)
    tables = build_tables(load_kenlm())
    return Prepared(path, built=True, saved=write_cache(tables, path))


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


class _Unigram:
    """P(word) for the lexicon: the KenLM model's unigram for the words it knows (<unk>'s for
    the others), jieba's dictionary frequency without a model."""

    def __init__(self, freqs: dict[str, int], lm: KenLMWords | None) -> None:
        self.freqs = freqs
        self.total = float(sum(freqs.values()))
        self._lm = lm

    def __call__(self, word: str) -> float:
        if self._lm is not None:
            return self._lm.unigram(word)
        return math.log(max(self.freqs.get(word, 0), 1) / self.total)


Bucket = dict[str, tuple[float, float]]  # "word<TAB>reading" -> (log unigram, log share)


def _word_entries(
    unigram: _Unigram, reading_counts: dict[str, dict[Syllable, float]]
) -> dict[str, Bucket]:
    """Multi-character words with their phrase-aware pypinyin reading; counts how often each
    character takes each reading inside words into ``reading_counts``."""
    from pypinyin import Style, lazy_pinyin

    mapper = _SyllableMapper()
    out: dict[str, Bucket] = defaultdict(dict)
    for word, freq in unigram.freqs.items():
        if len(word) < 2 or len(word) > MAX_WORD_SYLLABLES or is_number(word):
            continue
        pinyins = lazy_pinyin(word, style=Style.TONE, errors="ignore")
        syllables = [mapper(p) for p in pinyins]
        if len(syllables) != len(word) or any(s is None for s in syllables):
            continue
        reading = [s for s in syllables if s is not None]
        key = " ".join(s.fuzzy for s in reading)
        out[key][f"{word}\t{encode_reading(reading)}"] = (unigram(word), 0.0)
        for char, syllable in zip(word, reading, strict=True):
            counts = reading_counts.setdefault(char, defaultdict(float))
            counts[syllable] += max(freq, 1)
    return out


def _reading_shares(
    char: str, freq: int, readings: list[Syllable], in_words: dict[Syllable, float]
) -> list[float]:
    """How often a character standing alone takes each reading: pypinyin's default reading
    mostly, the others as often as they occur inside words, a floor for the rest."""
    default_weight = 0.7 if freq > 1 else 0.3
    total_in_words = sum(in_words.values()) or 1.0
    shares = [
        (default_weight if i == 0 else 0.0)
        + (1 - default_weight) * in_words.get(s, 0.0) / total_in_words
        + READING_FLOOR
        for i, s in enumerate(readings)
    ]
    norm = sum(shares)
    return [share / norm for share in shares]


def _char_entries(
    unigram: _Unigram, reading_counts: dict[str, dict[Syllable, float]], out: dict[str, Bucket]
) -> None:
    """Every reading of every character of the lexicon (alone or inside a word)."""
    from pypinyin.pinyin_dict import pinyin_dict

    mapper = _SyllableMapper()
    chars = {w for w in unigram.freqs if len(w) == 1} | set(reading_counts)
    chars -= NUMERALS  # numerals come from number runs
    for char in sorted(chars):
        readings = pinyin_dict.get(ord(char), "").split(",")
        syllables = list(dict.fromkeys(s for s in (mapper(r) for r in readings if r) if s))
        if not syllables:
            continue
        freq = max(unigram.freqs.get(char, 0), 1)
        shares = _reading_shares(char, freq, syllables, reading_counts.get(char, {}))
        for syllable, share in zip(syllables, shares, strict=True):
            entry = f"{char}\t{encode_reading([syllable])}"
            out[syllable.fuzzy][entry] = (unigram(char), math.log(share))


def build_tables(lm: KenLMWords | None) -> HanziTables:
    """Lexicon tables; ``lm`` is the model at the ``hanzi_lm_path`` setting, None when missing."""
    jieba_dict, _, model_path = source_files()
    words = _read_jieba(jieba_dict)
    if lm is not None:
        for word in kenlm_vocabulary(model_path):
            if _is_hanzi(word):
                words.setdefault(word, 0)
    unigram = _Unigram(words, lm)
    reading_counts: dict[str, dict[Syllable, float]] = {}
    grouped = _word_entries(unigram, reading_counts)
    _char_entries(unigram, reading_counts, grouped)
    entries = {
        key: "\n".join(f"{entry}\t{uni:.3f}\t{share:.3f}" for entry, (uni, share) in
                       sorted(bucket.items(), key=lambda item: -sum(item[1])))
        for key, bucket in grouped.items()
    }
    return HanziTables(entries, lm is not None)


if __name__ == "__main__":  # python -m asr.hanzi_data --build: what load_tables runs as a child
    sys.exit(0 if sys.argv[1:] == ["--build"] and prepare_lexicon().saved else 1)
