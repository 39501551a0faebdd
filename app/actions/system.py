"""The computer itself: lock the screen, take a screenshot, sleep, shut down, restart.

Each action has a list of candidate commands per platform (argument lists); the ones installed
are tried in order until one succeeds. Commands run only through the injected ``runner`` (tests
pass a recorder, so nothing is locked or shut down), and ``which`` decides what is installed.
Sleep, shutdown and restart are marked ``confirm: true`` in the grammar: the dialogue asks 确定吗
before the handler is called, and each of their commands runs only as a step of the request's
``cancellation`` (app/actions/base.py): after the dispatcher has timed out and said so, none
runs. A screenshot is a PNG in the user's Pictures folder; a tool that exits 0 without writing
the file counts as failed and the next one is tried.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from app.actions._platform import Runner, RunResult, Which, run
from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.config import AppSettings

PATH = "{path}"  # stands for the screenshot file in a command
Commands = Mapping[str, Sequence[tuple[str, ...]]]

LINUX: Commands = {
    "lock": [("loginctl", "lock-session"), ("xdg-screensaver", "lock"),
             ("gnome-screensaver-command", "--lock"), ("dm-tool", "lock"), ("xflock4",)],
    "screenshot": [("gnome-screenshot", "-f", PATH), ("spectacle", "-b", "-n", "-o", PATH),
                   ("grim", PATH), ("xfce4-screenshooter", "-f", "-s", PATH), ("maim", PATH),
                   ("scrot", PATH), ("import", "-window", "root", PATH)],
    "sleep": [("systemctl", "suspend"), ("loginctl", "suspend")],
    "shutdown": [("systemctl", "poweroff"), ("loginctl", "poweroff")],
    "restart": [("systemctl", "reboot"), ("loginctl", "reboot")],
}
MACOS: Commands = {
    "lock": [("pmset", "displaysleepnow")],
    "screenshot": [("screencapture", "-x", PATH)],
    "sleep": [("pmset", "sleepnow")],
    "shutdown": [("osascript", "-e", 'tell application "System Events" to shut down')],
    "restart": [("osascript", "-e", 'tell application "System Events" to restart')],
}
WINDOWS: Commands = {
    "lock": [("rundll32.exe", "user32.dll,LockWorkStation")],
    "screenshot": [],  # no stock command-line tool writes a file
    "sleep": [("rundll32.exe", "powrprof.dll,SetSuspendState", "0,1,0")],
    "shutdown": [("shutdown", "/s", "/t", "0")],
    "restart": [("shutdown", "/r", "/t", "0")],
}


def platform_commands(platform: str = sys.platform) -> Commands:
    if platform == "win32":
        return WINDOWS
    if platform == "darwin":
        return MACOS
    return LINUX


@dataclass(frozen=True)
class Task:
    verb: str  # 锁屏, 截图 … (for the replies)
    done: str  # the reply when it worked


IRREVERSIBLE = frozenset({"sleep", "shutdown", "restart"})
TASKS = {"lock": Task("锁屏", "已锁屏"), "screenshot": Task("截图", "截好了，已保存到图片文件夹"),
         "sleep": Task("休眠", "电脑要休眠了"), "shutdown": Task("关机", "好的，正在关机"),
         "restart": Task("重启", "好的，正在重启")}


class SystemActions(Actions):
    def __init__(self, pictures: Path, runner: Runner = run, which: Which = shutil.which,
                 commands: Commands | None = None,
                 now: Callable[[], datetime] = datetime.now) -> None:
        self.pictures = pictures
        self.runner = runner
        self.which = which
        self.commands = platform_commands() if commands is None else commands
        self.now = now

    @classmethod
    def from_settings(cls, settings: AppSettings, runner: Runner | None = None,
                      which: Which | None = None, pictures: Path | None = None) -> SystemActions:
        if pictures is None:
            import platformdirs

            pictures = Path(platformdirs.user_pictures_dir())
        return cls(pictures, runner or run, which or shutil.which)

    def handlers(self) -> Mapping[str, Handler]:
        table: dict[str, Handler] = {name: partial(self._perform, name) for name in TASKS}
        table["screenshot"] = self.screenshot
        return {f"system.{name}": handler for name, handler in table.items()}

    def screenshot(self, request: ActionRequest) -> ActionResult:
        target = self._new_picture()
        return self._perform("screenshot", request, target)

    def _perform(self, name: str, request: ActionRequest,
                 target: Path | None = None) -> ActionResult:
        task = TASKS[name]
        candidates = [self._fill(argv, target) for argv in self.commands.get(name, ())]
        installed = [argv for argv in candidates if self.which(argv[0])]
        if request.dry_run:
            how = " ".join(installed[0]) if installed else "没有可用的程序"
            return ActionResult.dry(f"{task.verb}（{how}）")
        if not installed:
            tried = ", ".join(argv[0] for argv in candidates) or "none known"
            return ActionResult.failed(f"这台电脑上没有找到能{task.verb}的程序",
                                       f"system.{name}: none installed of: {tried}")
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        failures = []
        for argv in installed:
            outcome = self._run(name, argv, request)
            if outcome is None:
                return ActionResult.failed(f"已取消{task.verb}",
                                           f"system.{name}: given up before {argv[0]}")
            if outcome.ok and (target is None or _written(target)):
                values = {"path": str(target)} if target is not None else {}
                return ActionResult(True, reply=task.done, values=values, context=values)
            failures.append(outcome.cause(argv) if not outcome.ok
                            else f"{' '.join(argv)} wrote no file")
        return ActionResult.failed(f"没能{task.verb}", "; ".join(failures))

    def _run(self, name: str, argv: list[str], request: ActionRequest) -> RunResult | None:
        """Run one command; one that cannot be taken back only while the request stands
        (None: the dispatcher gave up, nothing was run)."""
        if name not in IRREVERSIBLE:
            return self.runner(argv)
        with request.cancellation.step() as allowed:
            return self.runner(argv) if allowed else None

    def _new_picture(self) -> Path:
        stem = self.now().strftime("截图_%Y%m%d_%H%M%S")
        target, number = self.pictures / f"{stem}.png", 1
        while target.exists():
            number += 1
            target = self.pictures / f"{stem}_{number}.png"
        return target

    @staticmethod
    def _fill(argv: tuple[str, ...], target: Path | None) -> list[str]:
        return [str(target) if part == PATH and target is not None else part for part in argv]


def _written(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
