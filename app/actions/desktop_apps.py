"""Installed apps: Linux ``.desktop`` entries, Windows Start Menu shortcuts, macOS bundles.

Linux (freedesktop Desktop Entry spec): ``applications/`` under ``$XDG_DATA_HOME`` (default
``~/.local/share``) and every ``$XDG_DATA_DIRS`` entry (default ``/usr/local/share:/usr/share``);
an earlier folder's entry hides a later one with the same desktop-file ID. ``Type=Application``
entries that are not ``NoDisplay``/``Hidden``, whose ``TryExec`` exists and that need no terminal;
names from ``Name[zh_CN]`` (or ``zh``), ``Name``, ``GenericName[zh_CN]``, ``Keywords[zh_CN]``;
``Exec`` becomes an argument list (quoting rules of the spec via ``shlex``, field codes such as
``%U`` removed) — never a shell command. Windows: ``*.lnk`` names; macOS: ``*.app`` names.

:class:`AppIndex` scans again only when one of its folders changed (directory mtimes).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LOCALES = ("zh_CN", "zh_Hans_CN", "zh_Hans", "zh")
_FIELD = re.compile(r"%(.)")
_FIELD_CODES = set("fFuUdDnNickvm")
_LAUNCHERS = {"env", "sh", "bash", "dash", "perl", "ruby", "java", "mono",
              "wine", "gtk-launch", "xdg-open", "exec"}
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


@dataclass(frozen=True)
class AppInfo:
    name: str  # the value in the apps list: Name[zh_CN], else Name
    path: Path  # the .desktop, .lnk or .app
    names: tuple[str, ...] = ()  # other names (Name when name is Name[zh_CN])
    generic: tuple[str, ...] = ()  # GenericName[zh_CN] and Keywords[zh_CN]: less specific
    argv: tuple[str, ...] = ()  # how to start it; () means: open ``path`` with the system
    categories: tuple[str, ...] = ()
    executable: str = ""  # the program's file name, to find it among running processes

    @property
    def ident(self) -> str:
        """The desktop-file ID or file name without suffix (``org.gnome.Calculator``)."""
        return self.path.stem


def unescape(value: str) -> str:
    r"""A Desktop Entry string value: ``\s \n \t \r \\`` escapes."""
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), m.group(0)), value)


def read_entry(text: str) -> dict[str, str]:
    """The keys of the ``[Desktop Entry]`` group (other groups, comments left out)."""
    out: dict[str, str] = {}
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group == "Desktop Entry" and "=" in line:
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), value.strip())
    return out


def localized(entry: Mapping[str, str], key: str) -> str:
    for locale in LOCALES:
        value = entry.get(f"{key}[{locale}]")
        if value:
            return unescape(value)
    return ""


def split_list(value: str) -> list[str]:
    """A ``;``-separated list value (``\\;`` is a literal semicolon)."""
    return [unescape(p).strip() for p in re.split(r"(?<!\\);", value) if p.strip()]


def exec_argv(value: str) -> list[str]:
    """``Exec`` → argument list: string escapes, then the spec's quoting (shlex, POSIX), then
    field codes removed (``%U`` alone drops the argument; ``%%`` is a percent sign)."""
    # The spec's quoted escapes are \" \` \$ \\; shlex keeps the backslash of \$ and \`.
    text = re.sub(r"\\(\\|[$`])", lambda m: m.group(0) if m.group(1) == "\\" else m.group(1),
                  unescape(value))
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        return []
    out = []
    for word in words:
        if len(word) == 2 and word[0] == "%" and word[1] in _FIELD_CODES:
            continue
        out.append(_FIELD.sub(lambda m: "%" if m.group(1) == "%" else
                              ("" if m.group(1) in _FIELD_CODES else m.group(0)), word))
    return [w for w in out if w]


def executable_of(argv: Iterable[str]) -> str:
    """The file name of the program ``argv`` really runs: past ``env VAR=…`` and interpreters
    (``python3 app.py`` → ``app.py``); "" when unknown (``flatpak run …``)."""
    for i, word in enumerate(argv):
        name = os.path.basename(word)
        if word.startswith("-") or (i > 0 and "=" in word) or name in _LAUNCHERS or \
                re.fullmatch(r"python3?(\.\d+)?", name):
            continue
        return "" if name in ("flatpak", "snap") else name
    return ""


def desktop_file(path: Path, text: str) -> AppInfo | None:
    """The app of a .desktop file; None for entries that are hidden, not applications, not
    installed (``TryExec``), terminal programs or without a usable ``Exec``."""
    entry = read_entry(text)
    if entry.get("Type", "Application") != "Application":
        return None
    if entry.get("NoDisplay") == "true" or entry.get("Hidden") == "true" or \
            entry.get("Terminal") == "true":
        return None
    try_exec = unescape(entry.get("TryExec", ""))
    if try_exec and shutil.which(try_exec) is None:
        return None
    argv = exec_argv(entry.get("Exec", ""))
    base = unescape(entry.get("Name", "")).strip()
    zh = localized(entry, "Name").strip()
    if not argv or not (base or zh):
        return None
    generic = [localized(entry, "GenericName"), *split_list(localized(entry, "Keywords"))]
    names = tuple(n for n in (base,) if zh and n and n != zh)
    return AppInfo(zh or base, path, names, tuple(dict.fromkeys(g for g in generic if g)),
                   tuple(argv), tuple(split_list(entry.get("Categories", ""))),
                   executable_of(argv))


def xdg_application_dirs(env: Mapping[str, str] | None = None,
                         home: Path | None = None) -> list[Path]:
    """``applications/`` folders in precedence order (the user's first)."""
    env = os.environ if env is None else env
    home = home or Path.home()
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    dirs = [d for d in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if d]
    return [data_home / "applications", *(Path(d) / "applications" for d in dirs)]


def scan_linux(dirs: Iterable[Path]) -> list[AppInfo]:
    seen: set[str] = set()
    apps = []
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.desktop")):
            ident = "-".join(path.relative_to(root).with_suffix("").parts)
            if ident in seen:
                continue
            seen.add(ident)  # a hidden entry hides the same ID in later folders too
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            app = desktop_file(path, text)
            if app is not None:
                apps.append(app)
    return apps


def scan_named(dirs: Iterable[Path], suffix: str) -> list[AppInfo]:
    """Windows Start Menu ``*.lnk`` or macOS ``*.app``: the file name is the app's name."""
    apps: dict[str, AppInfo] = {}
    for root in dirs:
        if not root.is_dir():
            continue
        found = root.rglob(f"*{suffix}") if suffix == ".lnk" else root.glob(f"*{suffix}")
        for path in sorted(found):
            name = path.stem.strip()
            if not name or "uninstall" in name.lower() or "卸载" in name:
                continue
            argv = ("open", "-a", str(path)) if suffix == ".app" else ()
            executable = name if suffix == ".app" else ""
            apps.setdefault(name, AppInfo(name, path, argv=argv, executable=executable))
    return list(apps.values())


def windows_start_menu_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    sub = Path("Microsoft", "Windows", "Start Menu", "Programs")
    return [Path(env[k]) / sub for k in ("APPDATA", "ProgramData") if env.get(k)]


def macos_application_dirs(home: Path | None = None) -> list[Path]:
    return [Path("/Applications"), Path("/System/Applications"),
            (home or Path.home()) / "Applications"]


class AppIndex:
    """The installed apps of one platform, scanned again when a folder's mtime changes."""

    def __init__(self, dirs: Iterable[Path], kind: str = "desktop") -> None:
        self.dirs = list(dirs)
        self.kind = kind  # "desktop" (Linux), "lnk" (Windows) or "app" (macOS)
        self._stamp: tuple[tuple[str, int], ...] | None = None
        self._apps: list[AppInfo] = []

    @classmethod
    def for_platform(cls, platform: str = sys.platform) -> AppIndex:
        if platform.startswith("win"):
            return cls(windows_start_menu_dirs(), "lnk")
        if platform == "darwin":
            return cls(macos_application_dirs(), "app")
        return cls(xdg_application_dirs(), "desktop")

    def stamp(self) -> tuple[tuple[str, int], ...]:
        out = []
        for root in self.dirs:
            stack = [root]
            while stack:
                folder = stack.pop()
                try:
                    out.append((str(folder), folder.stat().st_mtime_ns))
                    if self.kind != "app":  # .app bundles are folders: do not walk into them
                        stack.extend(p for p in folder.iterdir() if p.is_dir())
                except OSError:
                    continue
        return tuple(out)

    def refresh(self) -> bool:
        """Scan again if a folder changed; True when the apps were (re)read."""
        stamp = self.stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if self.kind == "desktop":
            self._apps = scan_linux(self.dirs)
        else:
            self._apps = scan_named(self.dirs, ".lnk" if self.kind == "lnk" else ".app")
        return True

    def apps(self) -> list[AppInfo]:
        self.refresh()
        return list(self._apps)
