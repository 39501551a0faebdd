"""Where Lingyin keeps and finds things: every ``LINGYIN_*`` setting is read here, and only here.
Every location is a setting, never a working-dir path.

- ``LINGYIN_DATA_DIR``: the user data directory (models live in ``<data>/models``);
  default: the platform's user data directory for "lingyin".
- ``LINGYIN_CONFIG_DIR``: the user config directory (the user's grammar lives in
  ``<config>/grammar``); default: the platform's user config directory.
- ``LINGYIN_CACHE_DIR``: the user cache directory (the pinyin→Hanzi lexicon, compiled grammar
  graphs); default: the platform's user cache directory.
- ``LINGYIN_HANZI_LM``: the KenLM word model of the pinyin→Hanzi converter; default
  :data:`DEFAULT_HANZI_LM` (Debian's ``libime-data-language-model``).
- ``LINGYIN_SHARED``: the folder of shared development data (models, speech, test suites) used by
  the setup step, the tests and the benchmarks; default ``../shared`` beside the checkout.
- ``LINGYIN_RESOURCES``: overrides the bundled ``resources/`` folder (frozen bundles, tests).
- ``LINGYIN_WEATHER_URL``: the weather provider's forecast endpoint (tests point it at
  127.0.0.1); default :data:`DEFAULT_WEATHER_URL`, Open-Meteo's keyless forecast API.

The environment is read on every call, so a setting changed at run time (tests) takes effect.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "lingyin"
DEFAULT_MODEL = "zh-pinyin-zipformer-3.3M"
DEFAULT_HANZI_LM = Path("/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm")
DEFAULT_WEATHER_URL = "https://api.open-meteo.com/v1/forecast"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The user data directory: the explicit override, then $LINGYIN_DATA_DIR, then platformdirs."""
    if override:
        return Path(override).expanduser()
    env = _env_path("LINGYIN_DATA_DIR")
    if env is not None:
        return env
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "models"


def model_dir(name: str = DEFAULT_MODEL, data: str | os.PathLike[str] | None = None) -> Path:
    return models_dir(data) / name


def config_dir() -> Path:
    """The user config directory: $LINGYIN_CONFIG_DIR, then platformdirs."""
    env = _env_path("LINGYIN_CONFIG_DIR")
    if env is not None:
        return env
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user cache directory: $LINGYIN_CACHE_DIR, then platformdirs."""
    env = _env_path("LINGYIN_CACHE_DIR")
    if env is not None:
        return env
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def hanzi_lm_path() -> Path:
    """The KenLM word model of the pinyin→Hanzi converter: $LINGYIN_HANZI_LM or the default."""
    return _env_path("LINGYIN_HANZI_LM") or DEFAULT_HANZI_LM


def source_root() -> Path:
    """The folder holding app/, asr/, intents/ and resources/ (checkout, wheel or bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return _env_path("LINGYIN_RESOURCES") or source_root() / "resources"


def resource_path(relative: str) -> Path:
    """A file under resources/; refuses paths that would escape the folder."""
    root = resources_dir().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"resource path escapes the resources folder: {relative!r}")
    return path


def shared_dir() -> Path:
    return _env_path("LINGYIN_SHARED") or source_root().parent / "shared"


def weather_url(configured: str | None = None) -> str:
    """``$LINGYIN_WEATHER_URL``, else the user's configured URL, else Open-Meteo's."""
    return os.environ.get("LINGYIN_WEATHER_URL") or configured or DEFAULT_WEATHER_URL
