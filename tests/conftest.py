"""Shared fixtures. A missing model or data folder fails loudly; nothing is skipped."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

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


pytest_plugins = ["pulse_fixtures"]  # tests/pulse_fixtures.py: private PulseAudio server
