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


def _copy_of_installed_model(tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(settings.model_dir(), copy)
    for file in copy.iterdir():
        file.chmod(0o644)
    return copy


def test_same_size_corrupt_model_file_is_refused_at_load(tmp_path: Path) -> None:
    copy = _copy_of_installed_model(tmp_path)
    encoder = copy / Manifest.load().roles["encoder"]
    data = bytearray(encoder.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped in the middle
    encoder.write_bytes(bytes(data))
    with pytest.raises(ModelError) as caught:
        TransducerModel.load(copy)
    message = str(caught.value)
    assert str(encoder) in message and "sha256" in message
    assert "lingyin models install" in message


def test_checksums_are_verified_once_per_unchanged_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import asr.manifest

    copy = _copy_of_installed_model(tmp_path)
    TransducerModel.load(copy)
    hashed: list[Path] = []
    real = asr.manifest.sha256_of

    def counting(path: Path, block: int = 1 << 20) -> str:
        hashed.append(path)
        return real(path, block)

    monkeypatch.setattr(asr.manifest, "sha256_of", counting)
    TransducerModel.load(copy)
    assert hashed == []  # verified already, unchanged since
    joiner = copy / Manifest.load().roles["joiner"]
    joiner.write_bytes(joiner.read_bytes())  # rewritten: verified again
    TransducerModel.load(copy)
    assert hashed == [joiner]


def test_offline_download_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """With no network (or an unreachable URL) the message says how to install from a folder."""
    import asr.install

    monkeypatch.setattr(asr.install, "_ARCHIVE_OVERRIDE", "http://127.0.0.1:9/none.tar.bz2")
    assert main(["models", "install", "--data-dir", str(tmp_path)]) != 0
    assert "--from DIR" in capsys.readouterr().err
    assert not (tmp_path / "models" / MODEL).exists()
