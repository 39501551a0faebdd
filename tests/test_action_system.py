"""System actions with a recording runner: the commands they would run are checked as argument
lists; nothing is ever locked, suspended or shut down."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from app.actions._platform import RunResult, run
from app.actions.base import ActionRequest, ActionResult
from app.actions.system import LINUX, MACOS, WINDOWS, SystemActions, platform_commands
from app.config import AppSettings
from intents.grammar import load_grammar

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


class Recorder:
    """Records every argv; ``fail`` programs exit 1; ``draw`` programs write the PNG they are
    given (the last argument), as a screenshot tool would."""

    def __init__(self, fail: Iterable[str] = (), draw: Iterable[str] = ()) -> None:
        self.calls: list[list[str]] = []
        self.fail, self.draw = set(fail), set(draw)

    def __call__(self, argv: Sequence[str]) -> RunResult:
        self.calls.append(list(argv))
        if argv[0] in self.fail:
            return RunResult(1, error=f"{argv[0]}: not allowed")
        if argv[0] in self.draw:
            Path(argv[-1]).write_bytes(PNG)
        return RunResult(0)


def installed(*programs: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in programs else None


def actions(tmp_path: Path, runner: Recorder, *programs: str,
            platform: str = "linux") -> SystemActions:
    return SystemActions(tmp_path / "Pictures", runner, installed(*programs),
                         platform_commands(platform), now=lambda: datetime(2024, 5, 1, 14, 5, 3))


def act(system: SystemActions, name: str, dry_run: bool = False) -> ActionResult:
    action = f"system.{name}"
    return system.handlers()[action](ActionRequest(action, "system", name, dry_run=dry_run))


def test_handlers_cover_the_grammar_and_dangerous_ones_need_confirmation() -> None:
    intents = [i for i in load_grammar(GRAMMAR).intents if i.domain == "system"]
    assert {i.action for i in intents} == set(actions(Path("/x"), Recorder()).handlers())
    confirmed = {i.action for i in intents if i.confirm}
    assert confirmed == {"system.sleep", "system.shutdown", "system.restart"}


@pytest.mark.parametrize(("name", "argv", "reply"), [
    ("lock", ["loginctl", "lock-session"], "已锁屏"),
    ("sleep", ["systemctl", "suspend"], "电脑要休眠了"),
    ("shutdown", ["systemctl", "poweroff"], "好的，正在关机"),
    ("restart", ["systemctl", "reboot"], "好的，正在重启"),
])
def test_linux_commands(tmp_path: Path, name: str, argv: list[str], reply: str) -> None:
    runner = Recorder()
    result = act(actions(tmp_path, runner, "loginctl", "systemctl"), name)
    assert (result.performed, result.reply) == (True, reply)
    assert runner.calls == [argv]


def test_the_next_installed_tool_is_tried_when_one_fails(tmp_path: Path) -> None:
    runner = Recorder(fail={"loginctl"})
    system = actions(tmp_path, runner, "loginctl", "dm-tool")  # xdg-screensaver not installed
    assert act(system, "lock").performed
    assert runner.calls == [["loginctl", "lock-session"], ["dm-tool", "lock"]]


def test_every_tool_failing_is_reported(tmp_path: Path) -> None:
    runner = Recorder(fail={"systemctl", "loginctl"})
    result = act(actions(tmp_path, runner, "systemctl", "loginctl"), "shutdown")
    assert (result.performed, result.reply) == (False, "没能关机")
    assert "systemctl poweroff: systemctl: not allowed" in (result.error or "")
    assert "loginctl poweroff: loginctl: not allowed" in (result.error or "")


def test_nothing_installed(tmp_path: Path) -> None:
    runner = Recorder()
    result = act(actions(tmp_path, runner), "lock")
    assert (result.performed, result.reply) == (False, "这台电脑上没有找到能锁屏的程序")
    assert "loginctl" in (result.error or "") and runner.calls == []


def test_screenshot_is_a_png_in_pictures(tmp_path: Path) -> None:
    runner = Recorder(draw={"grim"})
    result = act(actions(tmp_path, runner, "grim", "import"), "screenshot")
    shot = tmp_path / "Pictures" / "截图_20240501_140503.png"
    assert (result.performed, result.reply) == (True, "截好了，已保存到图片文件夹")
    assert runner.calls == [["grim", str(shot)]]
    assert shot.read_bytes() == PNG and result.values == {"path": str(shot)}
    again = act(actions(tmp_path, Recorder(draw={"grim"}), "grim"), "screenshot")
    assert again.values == {"path": str(shot.with_name("截图_20240501_140503_2.png"))}


def test_a_screenshot_tool_that_writes_nothing_counts_as_failed(tmp_path: Path) -> None:
    runner = Recorder(draw={"import"})  # gnome-screenshot "succeeds" without a file
    result = act(actions(tmp_path, runner, "gnome-screenshot", "import"), "screenshot")
    assert result.performed
    assert [call[0] for call in runner.calls] == ["gnome-screenshot", "import"]
    assert runner.calls[1][:3] == ["import", "-window", "root"]
    failed = act(actions(tmp_path, Recorder(), "gnome-screenshot"), "screenshot")
    assert (failed.performed, failed.reply) == (False, "没能截图")
    assert "wrote no file" in (failed.error or "")


def test_no_screenshot_tool(tmp_path: Path) -> None:
    result = act(actions(tmp_path, Recorder()), "screenshot")
    assert (result.performed, result.reply) == (False, "这台电脑上没有找到能截图的程序")
    windows = act(actions(tmp_path, Recorder(), "powershell", platform="win32"), "screenshot")
    assert not windows.performed and "none known" in (windows.error or "")


def test_dry_run_names_the_command_and_runs_nothing(tmp_path: Path) -> None:
    runner = Recorder()
    system = actions(tmp_path, runner, "systemctl", "gnome-screenshot")
    for name, description in [("shutdown", "关机（systemctl poweroff）"),
                              ("restart", "重启（systemctl reboot）"),
                              ("sleep", "休眠（systemctl suspend）"),
                              ("lock", "锁屏（没有可用的程序）")]:
        result = act(system, name, dry_run=True)
        assert (result.performed, result.description) == (False, description)
        assert result.reply == f"（演练）{description}"
    shot = act(system, "screenshot", dry_run=True)
    assert (shot.description or "").startswith("截图（gnome-screenshot -f ")
    assert runner.calls == [] and not (tmp_path / "Pictures").exists()


@pytest.mark.parametrize(("platform", "name", "argv"), [
    ("darwin", "lock", ["pmset", "displaysleepnow"]),
    ("darwin", "shutdown", ["osascript", "-e", 'tell application "System Events" to shut down']),
    ("win32", "lock", ["rundll32.exe", "user32.dll,LockWorkStation"]),
    ("win32", "restart", ["shutdown", "/r", "/t", "0"]),
])
def test_other_platforms(tmp_path: Path, platform: str, name: str, argv: list[str]) -> None:
    runner = Recorder()
    assert act(actions(tmp_path, runner, argv[0], platform=platform), name).performed
    assert runner.calls == [argv]


def test_every_platform_covers_every_action() -> None:
    for table in (LINUX, MACOS, WINDOWS):
        assert set(table) == {"lock", "screenshot", "sleep", "shutdown", "restart"}
    assert platform_commands("linux") is LINUX


def test_from_settings_puts_screenshots_in_pictures(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_PICTURES_DIR", str(tmp_path / "图片"))
    system = SystemActions.from_settings(AppSettings(), runner=Recorder(), which=installed())
    assert system.pictures == tmp_path / "图片"


def test_the_real_runner_reports_failures_as_values() -> None:
    assert run(["true"]).ok
    missing = run(["lingyin-no-such-program"])
    assert missing.returncode == 127 and "program not found" in missing.error
    slow = run(["sleep", "5"], timeout=0.2)
    assert slow.returncode == 124 and not slow.ok
    failed = run(["sh", "-c", "echo oops >&2; exit 3"])
    assert failed.returncode == 3 and failed.cause(["sh"]).endswith("oops")
    assert run(["sh", "-c", "echo 40,false"]).output == "40,false\n"
