"""Writing files so a crash leaves the old file or the new one, never half of one: shared by the
model installer, the app's data files and the caches."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def replace_atomically(path: Path, *parts: bytes | bytearray) -> bool:
    """``path`` holds ``parts`` (written to a temporary file beside it, then renamed into
    place); False when the folder cannot be written (a full disk, a read-only folder)."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.stem}-",
                                         suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
            for part in parts:
                handle.write(part)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        return False
    return True
