"""The pinyin→Hanzi lexicon cache is data, never code: a memory-mapped table that gives back what
was written, refuses a file that does not add up, and ignores a crafted pickle in its place."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import asr.hanzi_data
from asr.hanzi_data import HanziTables, read_cached, write_cache
from asr.lexicon_file import BadTable, MappedTable, write_table

ENTRIES = {"n i": "你\tn ǐ\t-5.0\t0.0\n泥\tn í\t-9.0\t0.0", "h ao": "好\th ǎo\t-4.0\t0.0",
           "": "empty key", "zh ong": "中\tzh ōng\t-3.0\t0.0", "a": ""}


def test_the_table_gives_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "t.table"
    write_table(path, ENTRIES, {"format": "x"})
    table = MappedTable(path)
    assert dict(table) == ENTRIES and len(table) == len(ENTRIES)
    assert table.header == {"format": "x", "count": len(ENTRIES)}
    assert table.get("h ao") == "好\th ǎo\t-4.0\t0.0" and table.get("q u", "") == ""
    assert "zh ong" in table and "zh on" not in table and 3 not in table


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "pickle", "longer"])
def test_a_damaged_or_foreign_file_is_refused(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "t.table"
    write_table(path, ENTRIES, {"format": "x"})
    good = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": good[: len(good) - 7],
                      "garbage": b"\x00" * 200, "pickle": pickle.dumps(ENTRIES),
                      "longer": good + b"x"}[damage])
    with pytest.raises(BadTable):
        MappedTable(path)


class Payload:
    """What an attacker puts in the cache folder: a pickle that writes a file when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.marker, "pwned"))


def test_a_crafted_pickle_in_the_cache_runs_nothing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    path = asr.hanzi_data.lexicon_path()
    path.parent.mkdir(parents=True)
    marker = tmp_path / "payload-ran"
    path.write_bytes(pickle.dumps(Payload(marker)))
    assert read_cached(path) is None
    assert not marker.exists(), "the lexicon cache ran code"
    assert write_cache(HanziTables(ENTRIES, with_kenlm=True), path)
    tables = read_cached(path)
    assert tables is not None and tables.with_kenlm and dict(tables.entries) == ENTRIES
    old = path.with_name("hanzi-lexicon-v10-0123456789abcdef.pickle")
    old.write_bytes(b"an earlier release's cache")
    assert write_cache(HanziTables(ENTRIES, with_kenlm=False), path) and not old.exists()
