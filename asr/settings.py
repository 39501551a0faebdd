"""Where Lingyin keeps and finds things. Every location is a setting, never a working-dir path.

- ``LINGYIN_DATA_DIR``: the user data directory (models live in ``<data>/models``);
  default: the platform's user data directory for "lingyin".
- ``LINGYIN_SHARED``: the folder of shared development data (models, speech, test suites) used by
  the setup step, the tests and the benchmarks; default ``../shared`` beside the checkout.
- ``LINGYIN_RESOURCES``: overrides the bundled ``resources/`` folder (frozen bundles, tests).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "lingyin"
DEFAULT_MODEL = "zh-pinyin-zipformer-3.3M"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The user data directory: the explicit override, then $LINGYIN_DATA_DIR, then platformdirs."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("LINGYIN_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "models"


def model_dir(name: str = DEFAULT_MODEL, data: str | os.PathLike[str] | None = None) -> Path:
    return models_dir(data) / name


def source_root() -> Path:
    """The folder holding app/, asr/, intents/ and resources/ (checkout, wheel or bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    env = os.environ.get("LINGYIN_RESOURCES")
    return Path(env) if env else source_root() / "resources"


def resource_path(relative: str) -> Path:
    """A file under resources/; refuses paths that would escape the folder."""
    root = resources_dir().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"resource path escapes the resources folder: {relative!r}")
    return path


def shared_dir() -> Path:
    env = os.environ.get("LINGYIN_SHARED")
    return Path(env).expanduser() if env else source_root().parent / "shared"
