"""Install a model into the user data directory, from a local folder or the public archive.

Files are copied into a temporary sibling folder, every checksum is verified, and only then is the
folder renamed into place: an interrupted or failed install never leaves a half-written model.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from asr.errors import InstallError
from asr.manifest import Manifest, sha256_of

Progress = Callable[[str, int, int], None]  # (label, done bytes, total bytes)
_ARCHIVE_OVERRIDE: str | None = None  # tests point this at a local server


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


def _place(staging: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)


def install_from_dir(source: Path, target: Path, manifest: Manifest,
                     progress: Progress | None = None) -> Path:
    folder = _find_source(source, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
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
    with tempfile.TemporaryDirectory(prefix=".download.", dir=target.parent) as tmp:
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
