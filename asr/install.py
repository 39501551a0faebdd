"""Install a model into the user data directory, from a local folder or the public archive.

Files are copied into a temporary sibling folder (``.NAME.<pid>.*``, flushed to disk), every
checksum is verified, and only then is the folder renamed into place, the working model moved
aside to ``NAME.old`` for the moment between the two renames. A kill in that moment leaves no
model and the working one in ``NAME.old``: ``recover`` (run by ``verify_dir`` at every start
and check, and before every install) puts it back when every checksum matches; a staging
folder is never taken for an installed model, and the next install clears those of dead
processes.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

from asr.durable import fsync_dir
from asr.errors import InstallError, ModelError
from asr.manifest import Manifest, sha256_of, verify_dir

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (label, done bytes, total bytes)
_ARCHIVE_OVERRIDE: str | None = None  # tests point this at a local server
_STAGING = re.compile(r"(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}")  # after ".NAME.": see _staging_prefix


def _find_source(source: Path, manifest: Manifest) -> Path:
    """Accept the model folder itself, or a folder holding it (``shared/models``)."""
    for candidate in (source, source / manifest.name, source / manifest.archive_folder):
        if all((candidate / f.name).is_file() for f in manifest.files):
            return candidate
    missing = [f.name for f in manifest.files if not (source / f.name).is_file()]
    raise InstallError(
        f"{source} does not hold model {manifest.name} (looked in it and in "
        f"{manifest.name}/ and {manifest.archive_folder}/ below it; missing: {', '.join(missing)})"
    )


def _copy(src: Path, dst: Path, progress: Progress | None, block: int = 1 << 20) -> None:
    total = src.stat().st_size
    done = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(block):
            fout.write(chunk)
            done += len(chunk)
            if progress:
                progress(src.name, done, total)
        fout.flush()
        os.fsync(fout.fileno())  # on disk before the folder is renamed into place


def _verify(folder: Path, manifest: Manifest, origin: str) -> None:
    for entry in manifest.files:
        path = folder / entry.name
        digest = sha256_of(path)
        if digest != entry.sha256:
            raise InstallError(
                f"checksum mismatch for {entry.name} from {origin}: got {digest}, "
                f"expected {entry.sha256}; the source is corrupt or a different model, "
                "nothing was installed"
            )


def _old(target: Path) -> Path:
    return target.with_name(target.name + ".old")


def _place(staging: Path, target: Path) -> None:
    old = _old(target)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staging.rename(target)  # a kill before this line: ``recover`` puts ``old`` back
    fsync_dir(target.parent)
    if old.exists():
        shutil.rmtree(old)


def recover(target: Path, manifest: Manifest) -> bool:
    """Put the working model back after an install killed between its two renames: when
    ``target`` is missing and ``NAME.old`` holds every file with the right checksum. Returns
    whether ``target`` is there now because of it."""
    old = _old(target)
    if target.exists() or not old.is_dir():
        return False
    try:
        verify_dir(old, manifest, checksums=True)
    except ModelError as exc:
        log.warning("%s: not restoring the model left by an interrupted install (%s)", old, exc)
        return False
    try:
        old.rename(target)
    except OSError:
        return target.is_dir()  # another process restored it, or installed a new one
    fsync_dir(target.parent)
    log.warning("%s: restored the model an interrupted install had moved aside", target)
    return True


def _staging_prefix(name: str) -> str:
    return f".{name}.{os.getpid()}."


def _clear_stale_staging(folder: Path, name: str) -> None:
    """Staging folders of installs whose process is gone (a kill mid-install): ``.NAME.<pid>.``
    and mkdtemp's 8 characters (without the pid: made before installs recorded it)."""
    for path in folder.glob(f".{name}.*"):
        found = _STAGING.fullmatch(path.name[len(name) + 2:])
        if found is None or not path.is_dir():
            continue
        if found["pid"] is None or not psutil.pid_exists(int(found["pid"])):
            shutil.rmtree(path, ignore_errors=True)


def install_from_dir(source: Path, target: Path, manifest: Manifest,
                     progress: Progress | None = None) -> Path:
    recover(target, manifest)  # first the working model a killed install left aside, if any
    folder = _find_source(source, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(target.parent, target.name)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target.name), dir=target.parent))
    try:
        for entry in manifest.files:
            _copy(folder / entry.name, staging / entry.name, progress)
        _verify(staging, manifest, str(folder))
        _copy_notes(folder, staging)
        _place(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _copy_notes(folder: Path, staging: Path) -> None:
    """Keep the licence and README notes with the copy, as the model's licence asks."""
    for note in ("README.md", "LICENSE", "SHA256SUMS"):
        if (folder / note).is_file():
            shutil.copyfile(folder / note, staging / note)


def _download(url: str, dest: Path, progress: Progress | None) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response, dest.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(Path(url).name, done, total)
    except OSError as exc:
        raise InstallError(
            f"could not download {url}: {exc}; with no network, install from a local copy: "
            "`lingyin models install --from DIR`"
        ) from exc


def install_from_url(target: Path, manifest: Manifest, progress: Progress | None = None) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(target.parent, "download")
    with tempfile.TemporaryDirectory(prefix=_staging_prefix("download"), dir=target.parent) as tmp:
        url = _ARCHIVE_OVERRIDE or manifest.archive_url
        if not manifest.archive_folder:  # a single-file model: the URL is the file itself
            _download(url, Path(tmp) / manifest.files[0].name, progress)
            return install_from_dir(Path(tmp), target, manifest, progress)
        archive = Path(tmp) / "model.tar.bz2"
        _download(url, archive, progress)
        wanted = {f"{manifest.archive_folder}/{f.name}" for f in manifest.files}
        try:
            with tarfile.open(archive, "r:bz2") as tar:
                members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
                tar.extractall(tmp, members=members, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise InstallError(f"the downloaded archive {url} is broken: {exc}") from exc
        return install_from_dir(Path(tmp), target, manifest, progress)
