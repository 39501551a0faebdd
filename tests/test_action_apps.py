"""Apps: .desktop files in a temporary XDG tree (names, Exec as an argument list, hidden
entries, precedence), the merged apps list (the bundled aliases keep working), a real fake app
launched and closed (ours, and one started elsewhere, found with psutil), Windows and macOS
folders scanned by name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.actions.apps import AppActions, list_entries
from app.actions.base import ActionRequest
from app.actions.desktop_apps import (
    AppIndex,
    desktop_file,
    exec_argv,
    executable_of,
    scan_named,
    xdg_application_dirs,
)
from app.actions.listfile import BEGIN
from app.config import AppSettings
from intents.grammar import load_grammar
from intents.matcher import Matcher

BUNDLED = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"
FAKE_APP = """#!{python}
import json, os, sys, time
with open(os.environ["FAKEAPP_OUT"], "w", encoding="utf-8") as out:
    json.dump({{"argv": sys.argv[1:], "pid": os.getpid()}}, out)
time.sleep(60)
"""


def entry(name: str, exec_line: str, *extra: str) -> str:
    return "\n".join(["[Desktop Entry]", "Type=Application", f"Name={name}",
                      f"Exec={exec_line}", *extra, ""])


@pytest.fixture()
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """~/.local/share/applications and two system folders, with a runnable fake app."""
    home = tmp_path / "home" / "applications"
    one = tmp_path / "share one" / "applications"
    two = tmp_path / "share-two" / "applications"
    for folder in (home, one / "kde", two):
        folder.mkdir(parents=True)
    app = tmp_path / "fake app" / "fakeapp"
    app.parent.mkdir()
    app.write_text(FAKE_APP.format(python=sys.executable), encoding="utf-8")
    app.chmod(0o755)
    out = tmp_path / "fakeapp.json"
    monkeypatch.setenv("FAKEAPP_OUT", str(out))
    (one / "fakenotes.desktop").write_text(entry(
        "Fake Notes", f'"{app}" --title "a b" %U', "Name[zh_CN]=假笔记",
        "GenericName[zh_CN]=笔记本", "Keywords[zh_CN]=便签;记录;音乐;随手记;",
        "Categories=Utility;TextEditor;", "", "[Desktop Action new]", "Name=New",
        "Exec=/bin/false"), encoding="utf-8")
    (two / "fakenotes.desktop").write_text(entry("Old Notes", "/bin/true",
                                                 "Name[zh_CN]=旧笔记"), encoding="utf-8")
    (one / "calc.desktop").write_text(entry(
        "Fake Calculator", "/nonexistent/fake-calc", "Name[zh]=小算盘",
        "Keywords[zh_CN]=记录;", "Categories=Utility;Calculator;"), encoding="utf-8")
    (one / "kde" / "viewer.desktop").write_text(entry("Viewer", "viewer %f"), encoding="utf-8")
    (one / "masked.desktop").write_text(entry("Masked", "masked"), encoding="utf-8")
    (home / "masked.desktop").write_text(entry("Masked", "masked", "Hidden=true"),
                                         encoding="utf-8")
    (one / "nodisplay.desktop").write_text(entry("Helper", "helper", "NoDisplay=true"),
                                           encoding="utf-8")
    (one / "term.desktop").write_text(entry("Top", "htop", "Terminal=true"), encoding="utf-8")
    (one / "gone.desktop").write_text(entry("Gone", "gone", "TryExec=/nonexistent/gone"),
                                      encoding="utf-8")
    (one / "link.desktop").write_text("[Desktop Entry]\nType=Link\nName=Site\nURL=https://x\n",
                                      encoding="utf-8")
    return {"home": home, "one": one, "two": two, "app": app, "out": out}


def index_of(xdg: dict[str, Path]) -> AppIndex:
    return AppIndex([xdg["home"], xdg["one"], xdg["two"]])


def test_exec_lines_become_argument_lists() -> None:
    assert exec_argv('"/opt/My App/bin/app" --name "x y" %U') == ["/opt/My App/bin/app",
                                                                  "--name", "x y"]
    assert exec_argv("app --pct=100%% %F %i %c %k") == ["app", "--pct=100%"]
    assert exec_argv(r'"/a/b\\\\c" --say="\\$HOME \\"q\\"" %u') == ["/a/b\\c",
                                                                  '--say=$HOME "q"']
    assert exec_argv('app "unterminated') == []
    assert executable_of(["env", "FOO=1", "/usr/bin/gedit", "--new"]) == "gedit"
    assert executable_of(["python3", "-u", "/opt/tool/tool.py"]) == "tool.py"
    assert executable_of(["flatpak", "run", "org.gnome.Calculator"]) == ""


def test_desktop_files_are_discovered(xdg: dict[str, Path]) -> None:
    apps = {a.name: a for a in index_of(xdg).apps()}
    assert set(apps) == {"假笔记", "小算盘", "Viewer"}  # hidden, masked, terminal… left out
    notes = apps["假笔记"]
    assert notes.argv == (str(xdg["app"]), "--title", "a b")
    assert notes.names == ("Fake Notes",)
    assert notes.generic == ("笔记本", "便签", "记录", "音乐", "随手记")
    assert (notes.executable, notes.ident) == ("fakeapp", "fakenotes")
    assert apps["Viewer"].ident == "viewer" and apps["Viewer"].argv == ("viewer",)
    assert desktop_file(Path("x.desktop"), "[Desktop Entry]\nName=NoExec\n") is None


def test_xdg_folders_follow_the_environment(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": "/h", "XDG_DATA_DIRS": "/a:/b:"}
    assert xdg_application_dirs(env, tmp_path) == [Path("/h/applications"),
                                                   Path("/a/applications"),
                                                   Path("/b/applications")]
    assert xdg_application_dirs({}, tmp_path) == [
        tmp_path / ".local/share/applications", Path("/usr/local/share/applications"),
        Path("/usr/share/applications")]


def test_list_is_merged_and_bundled_aliases_keep_working(xdg: dict[str, Path],
                                                         tmp_path: Path) -> None:
    lists = tmp_path / "grammar" / "lists"
    shutil.copytree(BUNDLED / "lists", lists)
    own = (lists / "apps.txt").read_text("utf-8")
    actions = AppActions(index_of(xdg), lists)
    update = actions.refresh()
    assert update is not None and update.changed
    text = (lists / "apps.txt").read_text("utf-8")
    assert text.startswith(own.rstrip("\n")) and BEGIN in text
    block = text[text.index(BEGIN):].splitlines()
    assert {"假笔记", "Fake Notes\t假笔记", "笔记本\t假笔记", "随手记\t假笔记", "小算盘"} <= \
        set(block)
    assert not any(line.startswith(("记录", "音乐", "便签")) for line in block)  # shared,
    assert ("便签", "your own line says 备忘录") in [(e.spoken, why) for e, why in update.skipped]
    assert actions.refresh() is None  # nothing changed: no rescan, no write

    matcher = Matcher(load_grammar(BUNDLED, lists))
    for said, app in [("把B站打开", "哔哩哔哩"), ("打开假笔记", "假笔记"), ("打开随手记", "假笔记"),
                      ("关闭小算盘", "小算盘"), ("打开计算器", "计算器")]:
        match = matcher.match(said)
        assert match is not None and match.slots.get("app") == app, (said, match)

    (xdg["home"] / "new.desktop").write_text(entry("New", "new-app", "Name[zh_CN]=新应用"),
                                              encoding="utf-8")
    again = actions.refresh()
    assert again is not None and "新应用" in (lists / "apps.txt").read_text("utf-8")


def test_entries_keep_generic_words_only_when_one_app_has_them(xdg: dict[str, Path]) -> None:
    spoken = [(e.spoken, e.value) for e in list_entries(index_of(xdg).apps())]
    assert ("笔记本", "假笔记") in spoken and not any(s == "记录" for s, _ in spoken)


def wait_json(path: Path, seconds: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size:
            data: dict[str, object] = json.loads(path.read_text("utf-8"))
            return data
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def app_request(action: str, app: str, dry_run: bool = False) -> ActionRequest:
    return ActionRequest(action, "app", action.split(".")[1], {"app": app}, dry_run=dry_run)


def test_open_and_close_the_app_we_started(xdg: dict[str, Path]) -> None:
    actions = AppActions(index_of(xdg))
    dry = actions.open_app(app_request("app.open", "Fake Notes", dry_run=True))
    assert not dry.performed and str(xdg["app"]) in (dry.description or "")
    assert not xdg["out"].exists()
    opened = actions.open_app(app_request("app.open", "假笔记"))
    assert opened.performed and opened.reply is None and opened.values == {"app": "假笔记"}
    seen = wait_json(xdg["out"])
    assert seen["argv"] == ["--title", "a b"]
    pid = int(str(seen["pid"]))
    assert not gone(pid)
    closed = actions.close_app(app_request("app.close", "假笔记"))
    assert closed.performed and gone(pid)
    again = actions.close_app(app_request("app.close", "假笔记"))
    assert not again.performed and again.reply == "假笔记没有在运行。"


def test_close_an_app_started_elsewhere_by_its_program_name(xdg: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import psutil  # a declared dependency (the fallback without it is tested below)

    assert psutil.pid_exists(os.getpid())
    other = subprocess.Popen([str(xdg["app"]), "--elsewhere"])
    try:
        wait_json(xdg["out"])
        result = AppActions(index_of(xdg)).close_app(app_request("app.close", "假笔记"))
        assert result.performed
        other.wait(timeout=10)  # psutil may have reaped it already (then the code reads 0)
        assert gone(other.pid)
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()
    monkeypatch.setitem(sys.modules, "psutil", None)  # psutil missing: say so
    result = AppActions(index_of(xdg)).close_app(app_request("app.close", "假笔记"))
    assert not result.performed and result.reply == "假笔记不是我打开的，我没法关闭它。"
    assert "psutil" in (result.error or "")


def test_unknown_missing_and_generic_apps(xdg: dict[str, Path]) -> None:
    actions = AppActions(index_of(xdg))
    unknown = actions.open_app(app_request("app.open", "微信"))
    assert not unknown.performed and unknown.reply == "没有找到微信，可能没有安装。"
    broken = actions.open_app(app_request("app.open", "计算器"))  # by category: 小算盘
    assert not broken.performed and broken.reply == "计算器没能打开。"
    assert "/nonexistent/fake-calc" in (broken.error or "")
    empty = actions.open_app(ActionRequest("app.open", "app", "open", {}))
    assert not empty.performed and empty.expect_reply
    assert set(actions.handlers()) == {i.action for i in load_grammar(BUNDLED).intents
                                       if i.domain == "app"}


def test_from_settings_merges_into_the_users_grammar(xdg: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg["home"].parent))
    monkeypatch.setenv("XDG_DATA_DIRS", f"{xdg['one'].parent}:{xdg['two'].parent}")
    actions = AppActions.from_settings(AppSettings())
    text = (tmp_path / "config" / "grammar" / "lists" / "apps.txt").read_text("utf-8")
    assert "假笔记" in text and "B站\t哔哩哔哩" in text
    assert actions.resolve("小算盘") is not None


def test_windows_and_macos_folders_by_name(tmp_path: Path) -> None:
    menu = tmp_path / "Start Menu" / "Programs"
    (menu / "腾讯软件").mkdir(parents=True)
    for name in ("腾讯软件/微信.lnk", "腾讯软件/卸载微信.lnk", "钉钉.lnk", "readme.txt"):
        (menu / name).write_bytes(b"")
    assert sorted(a.name for a in scan_named([menu], ".lnk")) == ["微信", "钉钉"]
    apps = tmp_path / "Applications"
    for name in ("网易云音乐.app", "Safari.app"):
        (apps / name / "Contents").mkdir(parents=True)
    found = AppIndex([apps], "app").apps()
    assert [a.name for a in found] == ["Safari", "网易云音乐"]
    assert found[1].argv == ("open", "-a", str(apps / "网易云音乐.app"))
