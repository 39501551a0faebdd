"""Start at login: the XDG autostart entry is written under $XDG_CONFIG_HOME, runs the
installed lingyin as an argument list (quoted by the Desktop Entry rules), and is removed again."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

from app.gui import autostart


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_enable_writes_the_entry_under_xdg_config_home(xdg: Path) -> None:
    assert not autostart.is_enabled()
    path = autostart.enable(["/opt/lingyin/bin/lingyin"])
    assert path == xdg / "autostart" / "lingyin.desktop"
    assert autostart.is_enabled()
    entry = read_entry(path)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "/opt/lingyin/bin/lingyin"
    assert entry["Name[zh_CN]"] == "灵音"
    assert entry["Terminal"] == "false"


def test_disable_removes_it_and_is_idempotent(xdg: Path) -> None:
    autostart.set_enabled(True, ["/usr/bin/lingyin"])
    assert (xdg / "autostart" / "lingyin.desktop").is_file()
    autostart.set_enabled(False)
    assert not (xdg / "autostart" / "lingyin.desktop").exists()
    assert autostart.disable() is False
    assert (xdg / "autostart").is_dir()  # the folder stays: other programs use it


def test_without_xdg_config_home_it_is_under_home(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert autostart.autostart_path() == tmp_path / ".config" / "autostart" / "lingyin.desktop"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # not absolute: ignored by the spec
    assert autostart.autostart_path() == tmp_path / ".config" / "autostart" / "lingyin.desktop"


def unquote_exec(value: str) -> list[str]:
    """The Exec value back to an argv by the Desktop Entry spec: string escapes first, then the
    quoting rule, then the ``%%`` field code."""
    text, i = "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            text += {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(value[i + 1], value[i + 1])
            i += 2
        else:
            text += value[i]
            i += 1
    args: list[str] = []
    current: str | None = None
    quoted, i = False, 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and text[i + 1] in '"`$\\':
            current = (current or "") + text[i + 1]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
            current = current or ""
        elif c == " " and not quoted:
            if current is not None:
                args.append(current)
            current = None
        else:
            current = (current or "") + c
        i += 1
    if current is not None:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


@pytest.mark.parametrize("argv", [
    ["/home/李 雷/.venv/bin/lingyin"],
    ["/opt/x/lingyin", "--grammar", "/tmp/a$b`c\"d\\e 100%"],
    ["/usr/bin/lingyin", ""],
])
def test_exec_quotes_arguments_by_the_desktop_entry_rules(xdg: Path, argv: list[str]) -> None:
    entry = read_entry(autostart.enable(argv))
    assert unquote_exec(entry["Exec"]) == argv


def test_the_command_is_the_installed_lingyin() -> None:
    argv = autostart.lingyin_command()
    beside = Path(sys.executable).with_name("lingyin")
    if beside.is_file():  # the project's virtualenv has the console script
        assert argv == [str(beside)]
    else:
        assert Path(argv[0]).name in ("lingyin", Path(sys.executable).name)
    assert all(isinstance(a, str) for a in argv)
