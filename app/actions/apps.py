"""Apps: ``app.open`` and ``app.close`` {app}, and the ``apps`` list kept up to date.

The installed apps (app/actions/desktop_apps.py) are merged into the generated block of
``<grammar>/lists/apps.txt`` whenever their folders change: each app's name, its other names,
and its generic name and keywords when no other app shares them. The user's own lines (B站 →
哔哩哔哩, 浏览器…) stay and win. A value is resolved to an installed app by name, by a few known
program names (微信 → wechat), by category for generic words (浏览器 → WebBrowser), then by a
unique partial name.

Opening starts the app detached (its ``Exec`` argument list). Closing ends the process Lingyin
started (its whole session), else — with psutil — the user's processes running the app's
program; without psutil Lingyin says it cannot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.desktop_apps import AppIndex, AppInfo
from app.actions.launch import LaunchError, Starter, kill_tree, open_uri, start_detached
from app.actions.listfile import Entry, ListUpdate, write_generated
from app.config import AppSettings

log = logging.getLogger(__name__)
LIST_NAME = "apps"
# Generic words → freedesktop categories of the apps that fit.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "浏览器": ("WebBrowser",), "终端": ("TerminalEmulator",), "命令行": ("TerminalEmulator",),
    "文件管理器": ("FileManager",), "资源管理器": ("FileManager",), "计算器": ("Calculator",),
    "文本编辑器": ("TextEditor",), "记事本": ("TextEditor",), "设置": ("Settings",),
    "控制面板": ("Settings",), "邮件": ("Email",), "日历": ("Calendar",),
    "画图": ("RasterGraphics", "2DGraphics"), "任务管理器": ("Monitor",),
    "应用商店": ("PackageManager",), "录音机": ("Recorder",), "相册": ("Photography", "Viewer"),
}
# Chinese names of apps whose Linux entries are often English only: program or ID fragments.
PROGRAMS: dict[str, tuple[str, ...]] = {
    "谷歌浏览器": ("google-chrome", "chromium"), "火狐浏览器": ("firefox",),
    "Edge浏览器": ("microsoft-edge",), "微信": ("wechat",), "QQ": ("qq",),
    "钉钉": ("dingtalk",), "飞书": ("feishu", "lark"), "企业微信": ("wxwork",),
    "腾讯会议": ("wemeet",), "网易云音乐": ("netease-cloud-music",), "哔哩哔哩": ("bilibili",),
    "WPS": ("wps",), "百度网盘": ("baidunetdisk",), "VS Code": ("code",),
}
# Words other intents own: never added to the list as an app's generic name or keyword.
RESERVED = frozenset(("闹钟", "计时器", "定时器", "时钟", "音乐", "天气", "音量", "声音", "电话",
                      "时间", "日期", "截图", "截屏", "锁屏", "关机", "重启", "灯", "空调"))


class AppActions(Actions):
    def __init__(self, index: AppIndex, lists_dir: Path | None = None,
                 start: Starter = start_detached,
                 open_path: Callable[[str], None] | None = None,
                 platform: str = sys.platform) -> None:
        self.index = index
        self.lists_dir = lists_dir
        self._start = start
        self._open_path = open_path or partial(open_uri, start=start, platform=platform)
        self._started: dict[str, list[subprocess.Popen[bytes]]] = {}
        self._synced = False
        self._lock = threading.Lock()  # handlers may run on several worker threads

    @classmethod
    def from_settings(cls, settings: AppSettings, lists_dir: Path | None = None) -> AppActions:
        """The platform's apps; the list is merged into ``lists_dir`` (default: the user's
        grammar) now and whenever the apps change."""
        if lists_dir is None:
            from intents.store import ensure_user_grammar

            lists_dir = ensure_user_grammar() / "lists"
        actions = cls(AppIndex.for_platform(), lists_dir)
        actions.refresh()
        return actions

    def handlers(self) -> Mapping[str, Handler]:
        return {"app.open": self.open_app, "app.close": self.close_app}

    def refresh(self) -> ListUpdate | None:
        """Rescan if the app folders changed and rewrite the list's generated block."""
        with self._lock:
            changed = self.index.refresh()
            if self.lists_dir is None or (self._synced and not changed):
                return None
            self._synced = True
            try:
                return write_generated(self.lists_dir / f"{LIST_NAME}.txt",
                                       list_entries(self.index.apps()), "已安装的应用")
            except OSError as exc:
                log.warning("cannot update the apps list in %s: %s", self.lists_dir, exc)
                return None

    def resolve(self, value: str) -> AppInfo | None:
        self.refresh()
        with self._lock:
            return resolve(value, self.index.apps())

    # --- handlers ----------------------------------------------------------------------------

    def open_app(self, request: ActionRequest) -> ActionResult:
        value = str(request.slots.get("app") or "").strip()
        if not value:
            return ActionResult(False, reply="要打开哪个应用？", expect_reply=True)
        app = self.resolve(value)
        if app is None:
            return ActionResult.failed(f"没有找到{value}，可能没有安装。", f"no app for {value!r}")
        what = " ".join(app.argv) if app.argv else str(app.path)
        if request.dry_run:
            return ActionResult.dry(f"打开{value}（{what}）")
        try:
            if app.argv:
                process = self._start(list(app.argv))
                if isinstance(process, subprocess.Popen):
                    with self._lock:
                        self._started.setdefault(app.name, []).append(process)
            else:
                self._open_path(str(app.path))
        except LaunchError as exc:
            log.warning("open %s (%s): %s", value, what, exc)
            return ActionResult.failed(f"{value}没能打开。", str(exc))
        return ActionResult(True, values={"app": value}, context={"app": value})

    def close_app(self, request: ActionRequest) -> ActionResult:
        value = str(request.slots.get("app") or "").strip()
        if not value:
            return ActionResult(False, reply="要关闭哪个应用？", expect_reply=True)
        app = self.resolve(value)
        if app is None:
            return ActionResult.failed(f"没有找到{value}，可能没有安装。", f"no app for {value!r}")
        with self._lock:
            mine = [p for p in self._started.get(app.name, []) if p.poll() is None]
            if not request.dry_run:
                self._started.pop(app.name, None)
        if request.dry_run:
            how = "我打开的进程" if mine else f"正在运行的 {app.executable or app.name}"
            return ActionResult.dry(f"关闭{value}（{how}）")
        if mine:
            for process in mine:
                _end(process)
            return ActionResult(True, values={"app": value})
        return self._close_by_name(value, app)

    def _close_by_name(self, value: str, app: AppInfo) -> ActionResult:
        if not app.executable:
            return ActionResult.failed(f"{value}不是我打开的，我没法关闭它。",
                                       f"{app.path}: no program name to look for")
        try:
            count = close_by_name(app.executable)
        except ImportError:
            return ActionResult.failed(f"{value}不是我打开的，我没法关闭它。",
                                       "psutil is not installed: cannot find other processes")
        if count == 0:
            return ActionResult.failed(f"{value}没有在运行。", f"no process {app.executable!r}")
        return ActionResult(True, values={"app": value})


def list_entries(apps: list[AppInfo]) -> list[Entry]:
    """Names first, then generic names and keywords that only one app has."""
    entries = [Entry(a.name, a.name) for a in apps]
    entries += [Entry(n, a.name) for a in apps for n in a.names]
    owners: dict[str, set[str]] = {}
    for app in apps:
        for word in app.generic:
            owners.setdefault(word, set()).add(app.name)
    entries += [Entry(w, a.name) for a in apps for w in a.generic
                if len(owners[w]) == 1 and len(w) >= 2 and w not in RESERVED]
    return entries


def resolve(value: str, apps: list[AppInfo]) -> AppInfo | None:
    key = value.casefold()
    for app in apps:
        if key in (n.casefold() for n in (app.name, *app.names)):
            return app
    for fragment in PROGRAMS.get(value, ()):
        for app in apps:
            ident = app.ident.casefold()
            if fragment in (ident, app.executable.casefold()) or ident.endswith("." + fragment):
                return app
    wanted = CATEGORIES.get(value, ())
    for app in apps:
        if any(c in app.categories for c in wanted):
            return app
    partial_hits = [a for a in apps if key in a.name.casefold() or
                    any(key == g.casefold() for g in a.generic)]
    return partial_hits[0] if len(partial_hits) == 1 else None


def _end(process: subprocess.Popen[bytes], wait: float = 3.0) -> None:
    """SIGTERM to the app's session, SIGKILL if it is still there after ``wait`` seconds."""
    kill_tree(process, signal.SIGTERM if os.name == "posix" else None)
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        kill_tree(process)
        process.wait(timeout=wait)


def close_by_name(executable: str, wait: float = 3.0) -> int:
    """End the current user's processes running ``executable`` (by process name, program file
    or the script an interpreter runs); never Lingyin itself or its parents. Raises
    ImportError without psutil. Returns how many were ended."""
    import psutil

    me = psutil.Process()
    spared = {me.pid, *(p.pid for p in me.parents())}
    user = me.username()
    want = executable.casefold().removesuffix(".exe")
    targets = []
    for process in psutil.process_iter(["pid", "name", "exe", "cmdline", "username"]):
        info = process.info
        if info["pid"] in spared or info["username"] != user:
            continue
        names = {info["name"] or "", os.path.basename(info["exe"] or "")}
        names.update(os.path.basename(a) for a in (info["cmdline"] or [])[:2])
        if want in {n.casefold().removesuffix(".exe") for n in names if n}:
            targets.append(process)
    for process in targets:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(targets, timeout=wait)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return len(targets)
