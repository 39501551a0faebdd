"""Model installation from a folder, checksum failures and the missing-model message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import main
from asr import settings
from asr.errors import InstallError, ModelError
from asr.install import install_from_dir
from asr.manifest import Manifest, verify_dir
from asr.model import TransducerModel

MODEL = settings.DEFAULT_MODEL


@pytest.fixture()
def source(shared: Path) -> Path:
    return shared / "models"


def test_install_from_parent_folder(tmp_path: Path, source: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "install", "--from", str(source), "--data-dir", str(tmp_path)]) == 0
    target = tmp_path / "models" / MODEL
    verify_dir(target, Manifest.load(), checksums=True)
    assert (target / "README.md").is_file()  # the licence note travels with the copy
    assert "installed" in capsys.readouterr().out
    assert main(["models", "check", "--data-dir", str(tmp_path)]) == 0
    TransducerModel.load(target)


def test_install_from_model_folder_itself(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "m"
    install_from_dir(source / MODEL, target, Manifest.load())
    verify_dir(target, Manifest.load(), checksums=True)


def test_checksum_failure_leaves_nothing(tmp_path: Path, source: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(source / MODEL, bad)
    joiner = bad / Manifest.load().roles["joiner"]
    joiner.chmod(0o644)
    data = bytearray(joiner.read_bytes())
    data[1000] ^= 0xFF  # same size, one byte flipped
    joiner.write_bytes(bytes(data))
    target = tmp_path / "data" / "models" / MODEL
    with pytest.raises(InstallError, match=r"checksum mismatch.*joiner"):
        install_from_dir(bad, target, Manifest.load())
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no staging folder left behind


def test_failed_reinstall_keeps_the_working_model(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "models" / MODEL
    install_from_dir(source, target, Manifest.load())
    with pytest.raises(InstallError, match="does not hold model"):
        install_from_dir(tmp_path / "nowhere", target, Manifest.load())
    verify_dir(target, Manifest.load(), checksums=True)


def test_missing_model_message_names_path_and_fix(tmp_path: Path, shared: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path))
    clip = shared / "audio" / "aishell-s0150" / "wav" / "BAC009S0150W0001.flac"
    assert main(["transcribe", str(clip)]) != 0
    err = capsys.readouterr().err
    assert str(tmp_path / "models" / MODEL) in err
    assert "lingyin models install" in err


def test_truncated_model_file_is_reported(tmp_path: Path, source: Path) -> None:
    target = tmp_path / "m"
    install_from_dir(source, target, Manifest.load())
    encoder = target / Manifest.load().roles["encoder"]
    encoder.write_bytes(encoder.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"corrupt.*encoder.*lingyin models install"):
        TransducerModel.load(target)


def test_offline_download_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """With no network (or an unreachable URL) the message says how to install from a folder."""
    import asr.install

    monkeypatch.setattr(asr.install, "_ARCHIVE_OVERRIDE", "http://127.0.0.1:9/none.tar.bz2")
    assert main(["models", "install", "--data-dir", str(tmp_path)]) != 0
    assert "--from DIR" in capsys.readouterr().err
    assert not (tmp_path / "models" / MODEL).exists()
