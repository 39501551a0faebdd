"""Start Lingyin at login (Linux): an XDG autostart desktop entry,
``$XDG_CONFIG_HOME/autostart/lingyin.desktop`` (``~/.config`` when the variable is unset).

The entry's ``Exec`` runs the installed ``lingyin`` program directly (an argument list, quoted as
the Desktop Entry specification asks; no shell). Qt-free: the settings dialog calls it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from app.config import atomic_write_text

FILE_NAME = "lingyin.desktop"
# characters that make the Desktop Entry spec require a quoted argument
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = ('\\', '"', "`", "$")


def autostart_dir() -> Path:
    """``$XDG_CONFIG_HOME/autostart`` (an absolute XDG_CONFIG_HOME only, as the spec says)."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / ".config"
    return base / "autostart"


def autostart_path() -> Path:
    return autostart_dir() / FILE_NAME


def lingyin_command() -> list[str]:
    """How to run the installed Lingyin: the bundle itself, the ``lingyin`` script beside this
    interpreter (a virtualenv), the one on PATH, or this interpreter running the CLI module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    beside = Path(sys.executable).with_name("lingyin")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("lingyin")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "app.cli"]


def quote_arg(arg: str) -> str:
    """One argument of an ``Exec`` key: quoted when it holds a reserved character, ``%``
    doubled (field codes), then backslashes doubled again for the string value."""
    if not arg:
        arg_text = '""'
    elif any(c in _RESERVED for c in arg):
        inner = "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in arg)
        arg_text = f'"{inner}"'
    else:
        arg_text = arg
    return arg_text.replace("%", "%%").replace("\\", "\\\\")


def exec_line(argv: list[str]) -> str:
    if not argv:
        raise ValueError("the autostart command needs a program")
    return " ".join(quote_arg(a) for a in argv)


def desktop_entry(argv: list[str]) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Lingyin",
        "Name[zh_CN]=灵音",
        "Comment=Offline Mandarin voice commands",
        "Comment[zh_CN]=离线普通话语音助手",
        f"Exec={exec_line(argv)}",
        "Icon=lingyin",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def is_enabled() -> bool:
    return autostart_path().is_file()


def enable(argv: list[str] | None = None) -> Path:
    """Write the autostart entry (atomically); returns its path. Raises OSError."""
    path = autostart_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, desktop_entry(argv or lingyin_command()))
    return path


def disable() -> bool:
    """Remove the autostart entry; True when there was one. Raises OSError."""
    path = autostart_path()
    if not path.is_file():
        return False
    path.unlink()
    return True


def set_enabled(on: bool, argv: list[str] | None = None) -> None:
    if on:
        enable(argv)
    else:
        disable()
