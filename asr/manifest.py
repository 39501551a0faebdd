"""Model manifests (resources/models/NAME.json) and checking an installed model against one."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from asr import settings
from asr.errors import ModelError


@dataclass(frozen=True)
class ModelFile:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    name: str
    license: str
    archive_url: str
    archive_folder: str
    roles: dict[str, str]
    files: tuple[ModelFile, ...]

    @staticmethod
    def load(name: str = settings.DEFAULT_MODEL) -> Manifest:
        path = settings.resource_path(f"models/{name}.json")
        if not path.is_file():
            raise ModelError(f"unknown model {name!r}: no manifest at {path}")
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = tuple(ModelFile(f["name"], int(f["bytes"]), f["sha256"]) for f in raw["files"])
        return Manifest(
            name=raw["name"],
            license=raw["license"],
            archive_url=raw["archive_url"],
            archive_folder=raw["archive_folder"],
            roles=dict(raw["roles"]),
            files=files,
        )


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def fix_hint(manifest: Manifest) -> str:
    return (f"run `lingyin models install` (or `lingyin models install --from DIR`) "
            f"for {manifest.name}")


# Files whose sha256 matched in this process, by (path, size, mtime, ctime, inode, sha256): a
# model loaded again (tests, grammar reloads, a second stream) is not hashed again.
_VERIFIED: set[tuple[str, int, int, int, int, str]] = set()
_VERIFIED_LOCK = threading.Lock()


def _checksum_matches(path: Path, expected: str, reuse: bool) -> bool:
    info = path.stat()
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino,
           expected)
    if reuse:
        with _VERIFIED_LOCK:
            if key in _VERIFIED:
                return True
    if sha256_of(path) != expected:
        return False
    with _VERIFIED_LOCK:
        _VERIFIED.add(key)
    return True


def _recovered(directory: Path, manifest: Manifest) -> bool:
    """Whether an install killed between its renames had left the model aside, now put back."""
    from asr.install import recover  # install builds on this module

    return recover(directory, manifest)


def verify_dir(directory: Path, manifest: Manifest, *, checksums: bool = False,
               reuse: bool = False) -> None:
    """Raise ModelError naming the path and the fix when a file is missing, short or corrupt.

    Sizes are always checked (cheap, catches truncation); sha256 only when ``checksums``. With
    ``reuse``, a file already verified in this process and unchanged since (same size, times and
    inode) is not hashed again.
    """
    if not directory.is_dir() and not _recovered(directory, manifest):
        raise ModelError(f"model {manifest.name} is not installed: {directory} does not exist; "
                         f"{fix_hint(manifest)}")
    for entry in manifest.files:
        path = directory / entry.name
        if not path.is_file():
            raise ModelError(f"model file missing: {path}; {fix_hint(manifest)}")
        size = path.stat().st_size
        if size != entry.bytes:
            raise ModelError(f"model file is corrupt (size {size}, expected {entry.bytes}): "
                             f"{path}; {fix_hint(manifest)}")
        if checksums and not _checksum_matches(path, entry.sha256, reuse):
            raise ModelError(f"model file is corrupt (sha256 mismatch): {path}; "
                             f"{fix_hint(manifest)}")
