"""The core's error messages (often English, naming a file or device) explained in Chinese for
the window's error banner: what happened, what to do, and the original message kept as detail."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePath

from PySide6.QtWidgets import QWidget

from app.file_problems import PROBLEMS, FileProblem, FileProblems
from app.gui.gui_thread import gui_mailbox
from app.gui.widgets import Banner, ErrorBanner
from app.gui.widgets import escape_html as _escape


@dataclass(frozen=True)
class Explained:
    summary: str  # what happened (Chinese)
    advice: str  # what to do (Chinese)
    detail: str = ""  # the original message, when it adds something (a path, a device name)
    topic: str = ""  # "microphone": the window clears it once sound comes in again


INSTALL = ("运行 `lingyin models install`（或 `lingyin models install --from 文件夹`）"
           "重新安装模型，然后重新打开灵音。")
MIC_RETRY = ("检查麦克风是否接好、是否被别的程序占用；灵音会自动重试，恢复后接着听。"
             "也可以在设置里选择另一个输入设备。")
_LOC = re.compile(r"(?P<file>[^\s;:]+(?:[^;:]*?)):(?P<line>\d+):(?P<col>\d+): (?P<what>[^;\n]*)")
_QUOTED = re.compile(r"""(?:microphone|device) ['"](?P<name>[^'"]+)['"]""")


def _grammar(message: str) -> Explained:
    where = _LOC.search(message)
    reloading = "not reloaded" in message
    if where:
        name = PurePath(where["file"].strip()).name
        summary = f"语法文件 {name} 第 {where['line']} 行有错"
        count = len(_LOC.findall(message))
        if count > 1:
            summary += f"（共 {count} 处）"
    else:
        summary = "语法文件有错"
    if reloading:
        summary += "，没有重新加载（仍在使用原来的语法）"
    advice = "修改语法文件中出错的那一行（或运行 `lingyin check-grammar` 查看所有问题）"
    advice += "，保存后会自动重新加载。" if reloading else "，然后重新打开灵音。"
    return Explained(summary, advice, message)


def _model(message: str) -> Explained:
    low = message.lower()
    vad = "silero" in low
    what = "Silero 语音检测模型" if vad else "语音模型"
    if "corrupt" in low or "cannot load model file" in low or "token" in low:
        return Explained(f"{what}文件已损坏", INSTALL, message)
    return Explained(f"{what}没有安装或缺少文件", INSTALL, message)


def _microphone(message: str) -> Explained:
    return replace(_microphone_problem(message), topic="microphone")


def _microphone_problem(message: str) -> Explained:
    low = message.lower()
    named = _QUOTED.search(message)
    name = f"“{named['name']}”" if named else ""
    if "no microphone found" in low:
        return Explained("没有找到麦克风",
                         "接上麦克风（或检查音频服务是否在运行），灵音会自动发现它；"
                         "运行 `lingyin devices` 可以看到能用的设备。", message)
    if "no input device" in low:
        return Explained("设置里选择的输入设备不存在", "在设置里重新选择一个输入设备。", message)
    if "cannot list audio devices" in low:
        return Explained("无法列出音频设备（可能缺少 PortAudio）",
                         "安装 libportaudio2（运行 packaging/setup.sh），然后重新打开灵音。",
                         message)
    if "cannot open" in low:
        return Explained(f"无法打开麦克风{name}", MIC_RETRY, message)
    return Explained(f"麦克风{name}没有声音了（被拔掉或被占用？）", MIC_RETRY, message)


def _weather(message: str) -> Explained:
    return Explained("天气服务连不上（可能没有联网）",
                     "天气需要联网：请检查网络，或在设置里检查天气服务地址；其他命令不受影响。",
                     message)


def _home(message: str) -> Explained:
    return Explained("连不上 Home Assistant",
                     "检查 Home Assistant 是否开着，以及设置里的地址和令牌是否正确。", message)


def _speech(message: str) -> Explained:
    return Explained("无法朗读回答",
                     "回答仍会显示在窗口里；安装 espeak-ng（运行 packaging/setup.sh）"
                     "或在设置里换一个语音。", message)


def _listener(message: str) -> Explained:
    return Explained("收音意外停止",
                     "请重新打开灵音；如果问题持续，请在终端运行 `lingyin listen` 查看详情。",
                     message)


def _timers(message: str) -> Explained:
    return Explained("计时器文件无法读写", "检查数据文件夹的权限和剩余空间。", message)


RULES: list[tuple[Callable[[str], bool], Callable[[str], Explained]]] = [
    (lambda low: "grammar" in low or bool(_LOC.search(low)), _grammar),
    (lambda low: ("model" in low and "lingyin models" in low) or "no model found" in low,
     _model),
    (lambda low: "silero" in low or "token table" in low, _model),
    (lambda low: "microphone" in low or "input device" in low or "audio devices" in low,
     _microphone),
    (lambda low: "weather" in low or "forecast" in low or "open-meteo" in low, _weather),
    (lambda low: "home assistant" in low or "homeassistant" in low or ":8123" in low, _home),
    (lambda low: "espeak" in low or "speech engine" in low or "playback" in low, _speech),
    (lambda low: "the listener stopped" in low, _listener),
    (lambda low: "timer store" in low, _timers),
]


def explain(message: str) -> Explained:
    """The Chinese summary and advice for a message from the core."""
    low = message.lower()
    for matches, explainer in RULES:
        if matches(low):
            return explainer(message)
    if re.search(r"[\u4e00-\u9fff]", message):  # already Chinese (actions, Home Assistant)
        return Explained(message, "可以在下方输入框里打字下命令；如果问题持续，请重新打开灵音。")
    return Explained("出了点问题", "可以在下方输入框里打字下命令；如果问题持续，请重新打开灵音。",
                     message)


def problem_html(explained: Explained) -> str:
    html = (f"<b>出错了：</b>{_escape(explained.summary)}<br>"
            f"<b>怎么办：</b>{_escape(explained.advice)}")
    if explained.detail:
        html += f"<br><small style='color:#7a4a44'>详情：{_escape(explained.detail)}</small>"
    return html


class ProblemBanner(ErrorBanner):
    """The error banner, showing an explained problem with its original detail in small type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.explained: Explained | None = None

    def show_explained(self, explained: Explained) -> None:
        self.explained = explained
        self.label.setText(problem_html(explained))
        self.show()


class InfoBanner(Banner):
    """A note (not an error) until dismissed: e.g. that the global hotkey is unavailable."""

    STYLE = "background: #fff8e1; color: #5d4200;"

    def show_notice(self, text: str) -> None:
        self.label.setText(_escape(text))
        self.show()

    @property
    def text(self) -> str:
        return self.label.text()


class FileNotices(InfoBanner):
    """What was wrong with the user's files (settings, history, timers…) and what was kept, one
    line per damaged file version, until dismissed (app/file_problems.py)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notices: list[str] = []
        self.mailbox = gui_mailbox(self)  # problems found on other threads: shown by the GUI's

    def watch(self, problems: FileProblems = PROBLEMS) -> None:
        """Show the problems found so far, and each one found from now on (from any thread:
        the GUI thread adds it)."""
        for problem in problems.found():
            self.add(problem)
        mailbox = self.mailbox
        unsubscribe = problems.subscribe(lambda problem: mailbox.call(lambda: self.add(problem)))
        self.destroyed.connect(lambda *_: unsubscribe())

    def add(self, problem: FileProblem) -> None:
        if problem.notice in self.notices:
            return
        self.notices.append(problem.notice)
        self.show_notice("\n".join(self.notices))
