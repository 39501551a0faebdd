"""Shared fixtures. A missing model or data folder fails loudly; nothing is skipped.

What is loaded once for the session (the recogniser, the pinyin→Hanzi converter, the default
grammar, its text matcher and its SpeechUnderstander, the dev command grammar and its
understander) is only read by the tests that use it: a test that changes one builds its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from asr import settings
from asr.audio import load_audio
from asr.recognizer import Recognizer


@pytest.fixture(scope="session")
def shared() -> Path:
    path = settings.shared_dir()
    if not (path / "audio" / "aishell-s0150" / "text.tsv").is_file():
        pytest.fail(f"shared data folder not found at {path}: set LINGYIN_SHARED", pytrace=False)
    return path


@pytest.fixture(scope="session")
def dev_dir(shared: Path) -> Path:
    return shared / "audio" / "aishell-s0150"


@pytest.fixture(scope="session")
def dev_texts(dev_dir: Path) -> dict[str, str]:
    lines = (dev_dir / "text.tsv").read_text(encoding="utf-8-sig").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


@pytest.fixture(scope="session")
def clip(dev_dir: Path):  # type: ignore[no-untyped-def]
    def path(utt: str) -> Path:
        return dev_dir / "wav" / f"BAC009S0150{utt}.flac"

    return path


@pytest.fixture(scope="session")
def recognizer() -> Recognizer:
    """The installed default model (packaging/setup.sh installs it); fails if it is missing."""
    return Recognizer.load()


@pytest.fixture(scope="session")
def to_hanzi() -> Callable[[str], str]:
    """The pinyin→Hanzi converter, loaded once for every test that understands speech."""
    from intents.speech import load_to_hanzi

    return load_to_hanzi()


@pytest.fixture(scope="session")
def samples_0001(clip) -> object:  # type: ignore[no-untyped-def]
    return load_audio(clip("W0001"))


@pytest.fixture(scope="session")
def default_grammar() -> Iterator[Any]:
    """The bundled default grammar (resources/grammar/zh-CN), loaded once; a frozen value, and
    checked at the end of the session against a fresh load (no test may have changed it)."""
    from intents.grammar import load_grammar
    from intents.store import bundled_grammar_dir

    grammar = load_grammar(bundled_grammar_dir())
    yield grammar
    assert grammar == load_grammar(bundled_grammar_dir()), "a test changed the shared grammar"


@pytest.fixture(scope="session")
def default_matcher(default_grammar: Any) -> Any:
    """The default grammar's text matcher, its tables loaded once (matching only reads it)."""
    from intents.matcher import Matcher

    return Matcher(default_grammar)


@pytest.fixture(scope="session")
def default_understander(recognizer: Recognizer, default_grammar: Any,
                         to_hanzi: Callable[[str], str]) -> Any:
    """The default grammar's SpeechUnderstander (its graph from the graph cache, compiled once
    when missing); each ``understand`` or ``stream`` has its own search state."""
    from intents.speech import SpeechUnderstander

    return SpeechUnderstander(recognizer, default_grammar, to_hanzi=to_hanzi)


@pytest.fixture(scope="session")
def dev_grammar(tmp_path_factory: pytest.TempPathFactory, dev_texts: dict[str, str]
                ) -> Iterator[Path]:
    """The benchmark's dev command grammar with its song list (tests/listen_helpers.py), written
    once; tests only read it (one that edits a grammar copies it first), as checked at the end."""
    from listen_helpers import write_dev_grammar

    folder = write_dev_grammar(tmp_path_factory.mktemp("dev_grammar"), dev_texts)
    written = _files_of(folder)
    yield folder
    assert _files_of(folder) == written, "a test changed the shared dev grammar folder"


def _files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="session")
def dev_understander(recognizer: Recognizer, dev_grammar: Path,
                     to_hanzi: Callable[[str], str]) -> Any:
    from intents.grammar import load_grammar
    from intents.speech import SpeechUnderstander

    return SpeechUnderstander(recognizer, load_grammar(dev_grammar), to_hanzi=to_hanzi)


@pytest.fixture(autouse=True)
def _qt_widgets_deleted(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a Qt test, delete the widgets pytest-qt closed (its ``deleteLater`` runs only in an
    event loop, and a test without one left every window it opened alive: ~27 MB each)."""
    yield
    if "qtbot" in request.fixturenames:  # torn down after qtbot, which closed the widgets
        from PySide6.QtCore import QCoreApplication, QEvent

        if QCoreApplication.instance() is not None:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


pytest_plugins = ["pulse_fixtures"]  # tests/pulse_fixtures.py: private PulseAudio server


@pytest.fixture()
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the grammar compilations in this process (the compiler still runs)."""
    from intents.compile import GraphCompiler

    calls: list[int] = []
    real = GraphCompiler.compile

    def counting(self: GraphCompiler):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self)

    monkeypatch.setattr(GraphCompiler, "compile", counting)
    return calls
