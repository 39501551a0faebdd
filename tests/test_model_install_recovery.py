"""A model install killed between its two renames (the working model moved to ``NAME.old``, the
new copy not yet in place): the next check, start or install puts the working model back when
it verifies, and a half-copied new folder is never taken for an installed model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from asr import settings
from asr.errors import InstallError
from asr.install import install_from_dir
from asr.manifest import Manifest, verify_dir

ROOT = Path(__file__).resolve().parents[1]
MODEL = settings.DEFAULT_MODEL

# The install in a child process, killed with SIGKILL right after its first rename (the working
# model moved aside to NAME.old) and before the second (the new copy into place).
KILLED_INSTALL = """
import os, signal, sys
from pathlib import Path
from asr.install import install_from_dir
from asr.manifest import Manifest

real = Path.rename
def rename(self, target):
    moved = real(self, target)
    if Path(target).name.endswith(".old"):
        os.kill(os.getpid(), signal.SIGKILL)
    return moved
Path.rename = rename
install_from_dir(Path(sys.argv[1]), Path(sys.argv[2]), Manifest.load())
"""


@pytest.fixture(scope="module")
def source(shared: Path) -> Path:
    return shared / "models" / MODEL


@pytest.fixture
def data(tmp_path: Path, source: Path) -> Path:
    """A data folder with the model installed."""
    install_from_dir(source, tmp_path / "models" / MODEL, Manifest.load())
    return tmp_path


def models_dir(data: Path) -> Path:
    return data / "models"


def killed_between_renames(data: Path) -> tuple[Path, Path]:
    """The state a kill between the renames leaves: no model, the working copy in NAME.old, and
    a staging folder holding a half-copied new model."""
    target = models_dir(data) / MODEL
    old = target.with_name(MODEL + ".old")
    target.rename(old)
    staging = models_dir(data) / f".{MODEL}.999999999.k1ll3d00"  # .NAME.<pid>.<mkdtemp's>
    staging.mkdir()
    first = Manifest.load().files[0]
    (staging / first.name).write_bytes((old / first.name).read_bytes()[: first.bytes // 2])
    return target, old


def check(data: Path) -> int:
    return main(["models", "check", "--data-dir", str(data)])


def test_models_check_puts_the_working_model_back(data: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target, old = killed_between_renames(data)
    assert check(data) == 0, capsys.readouterr().err
    verify_dir(target, Manifest.load(), checksums=True)
    assert not old.exists()


def test_the_start_puts_the_working_model_back(data: Path) -> None:
    from app.gui.first_run import missing_model

    target, _ = killed_between_renames(data)
    assert missing_model(target) == ""  # what the window asks before it loads the model
    verify_dir(target, Manifest.load(), checksums=True)


def test_a_failed_install_after_the_kill_still_recovers(data: Path, tmp_path: Path) -> None:
    target, old = killed_between_renames(data)
    with pytest.raises(InstallError, match="does not hold model"):
        install_from_dir(tmp_path / "nowhere", target, Manifest.load())
    verify_dir(target, Manifest.load(), checksums=True)
    assert not old.exists()


def test_a_corrupt_old_copy_is_not_put_back(data: Path) -> None:
    target, old = killed_between_renames(data)
    joiner = old / Manifest.load().roles["joiner"]
    damaged = bytearray(joiner.read_bytes())
    damaged[100] ^= 0xFF  # same size, one byte flipped
    joiner.write_bytes(bytes(damaged))
    assert check(data) != 0
    assert not target.exists() and old.is_dir()


def test_a_half_copied_new_folder_is_never_taken_as_installed(data: Path) -> None:
    target, old = killed_between_renames(data)
    shutil.rmtree(old)
    assert check(data) != 0
    assert not target.exists()


def test_a_real_install_killed_between_the_renames_is_recovered(data: Path,
                                                                source: Path) -> None:
    target = models_dir(data) / MODEL
    child = subprocess.run([sys.executable, "-c", KILLED_INSTALL, str(source), str(target)],
                           cwd=ROOT, env={**os.environ}, capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not target.exists() and target.with_name(MODEL + ".old").is_dir()
    assert check(data) == 0
    verify_dir(target, Manifest.load(), checksums=True)
    killed_between_renames(data)  # and once more by hand, its staging named as before
    assert main(["models", "install", "--from", str(source), "--data-dir", str(data)]) == 0
    leftovers = [p.name for p in models_dir(data).iterdir() if p.name != MODEL]
    assert leftovers == [], leftovers  # the killed install's staging folder is cleared
