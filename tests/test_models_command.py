"""`lingyin models`: the install progress bar draws on a terminal, and install (or `models
prepare`) builds the pinyin→Hanzi lexicon ahead, so no first transcription waits on it in
silence; a lexicon built lazily says so on stderr."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import asr.hanzi_data
from app.cli import main
from app.commands.models import ProgressBar
from asr import settings
from asr.hanzi import HanziConverter
from asr.hanzi_data import BUILD_MESSAGE, HanziTables


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = ProgressBar()  # the default stream: stderr, a terminal here
    bar("encoder.onnx", 1_000_000, 4_000_000)
    assert "[#######" in terminal.getvalue() and "1.0/4.0 MB" in terminal.getvalue()
    bar("encoder.onnx", 4_000_000, 4_000_000)
    assert terminal.getvalue().endswith("4.0/4.0 MB\n")


def test_progress_bar_off_a_terminal_prints_finished_files_only() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar("encoder.onnx", 1_000_000, 4_000_000)
    assert stream.getvalue() == ""
    bar("encoder.onnx", 4_000_000, 4_000_000)
    assert stream.getvalue().count("\n") == 1


@pytest.fixture()
def quick_lexicon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An empty cache folder and a tiny lexicon in place of the 30-second build; counts builds."""
    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LINGYIN_COMPILE_IN_PROCESS", "1")  # the patched build, not a child's
    builds: list[int] = []

    def build(lm: object) -> HanziTables:
        builds.append(1)
        return HanziTables({"n i": "你\tn ǐ\t-5.0\t0.0"}, with_kenlm=lm is not None)

    monkeypatch.setattr(asr.hanzi_data, "build_tables", build)
    return builds


def test_install_builds_the_lexicon_once(quick_lexicon: list[int], tmp_path: Path,
                                         shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["models", "install", "--from", str(shared / "models"), "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "installed" in out and BUILD_MESSAGE in out and "lexicon: built" in out
    assert asr.hanzi_data.lexicon_path().is_file()
    assert main(["models", "prepare"]) == 0
    assert "lexicon: ready" in capsys.readouterr().out
    assert quick_lexicon == [1]


def test_a_lazy_build_is_announced_on_stderr(quick_lexicon: list[int],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    HanziConverter.load()
    err = capsys.readouterr().err
    assert err.count(BUILD_MESSAGE) == 1 and err.count("\n") == 1
    HanziConverter.load()  # cached now: silent
    assert capsys.readouterr().err == ""
    assert quick_lexicon == [1]
    assert settings.cache_dir() in asr.hanzi_data.lexicon_path().parents
