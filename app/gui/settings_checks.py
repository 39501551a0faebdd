"""The settings dialog's checks and choices, as plain functions (Qt-free, tested directly):
wake phrase lines, URLs, the call command, the model folder, the voices there are."""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlparse

from app.config import AppSettings
from asr.manifest import Manifest

PLAIN_ARG = re.compile(r"^[^\s'\"\\]+$")
HANZI = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def parse_wake_lines(text: str) -> tuple[list[str], str]:
    """Wake phrases, one a line, each optionally ``PHRASE:SENSITIVITY`` → (specs, error)."""
    specs: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().replace("：", ":")
        if not line:
            continue
        phrase, sep, value = line.rpartition(":")
        if not sep:
            phrase = line
        phrase = phrase.strip()
        if not HANZI.match(phrase):
            return [], f"第 {number} 行：唤醒词只能是汉字（例如 你好小灵），现在是 “{phrase}”"
        if sep:
            try:
                sensitivity = float(value)
            except ValueError:
                return [], f"第 {number} 行：冒号后的灵敏度必须是 0 到 1 之间的数字"
            if not (math.isfinite(sensitivity) and 0.0 <= sensitivity <= 1.0):
                return [], f"第 {number} 行：灵敏度必须在 0 到 1 之间，现在是 {value.strip()}"
            specs.append(f"{phrase}:{value.strip()}")
        else:
            specs.append(phrase)
    if not specs:
        return [], "至少需要一个唤醒词"
    return specs, ""


def check_url(text: str, required: bool = False) -> str:
    """An error message for a URL field ('' when it is fine or empty and optional)."""
    value = text.strip()
    if not value:
        return "请填写地址" if required else ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "地址要以 http:// 或 https:// 开头，例如 http://homeassistant.local:8123"
    return ""


def parse_command(text: str) -> tuple[list[str] | None, str]:
    value = text.strip()
    if not value:
        return None, ""
    try:
        return shlex.split(value), ""
    except ValueError as exc:
        return None, f"命令无法解析（{exc}）；参数里的空格请用引号括起来"


def join_command(argv: list[str]) -> str:
    """An argument list as one line (quoted only where needed, so ``{uri}`` stays readable)."""
    return " ".join(a if PLAIN_ARG.match(a) else shlex.quote(a) for a in argv)


def changed_fields(old: AppSettings, new: AppSettings) -> list[str]:
    return [f.name for f in fields(AppSettings) if getattr(old, f.name) != getattr(new, f.name)]


def peak_dbfs(peak: float) -> float:
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def check_model_folder(text: str, name: str | None = None) -> str:
    """'' when ``text`` is empty (the installed model) or a folder holding the model's files
    (names and sizes; the loader verifies the checksums), else what is wrong."""
    value = text.strip()
    if not value:
        return ""
    folder = Path(value).expanduser()
    if not folder.is_dir():
        return "这个文件夹不存在"
    manifest = Manifest.load(name) if name else Manifest.load()
    missing = [f.name for f in manifest.files if not (folder / f.name).is_file()]
    if missing:
        return (f"这里没有语音模型 {manifest.name} 的文件（缺少 {'、'.join(missing)}）；"
                "请选择含有这些文件的文件夹，或留空使用已安装的模型")
    short = [f.name for f in manifest.files if (folder / f.name).stat().st_size != f.bytes]
    if short:
        return f"模型文件大小不对（{'、'.join(short)}），可能没有复制完整：请重新复制"
    return ""


def voice_choices(voices: list[tuple[str, str]], preferred: str | None) -> list[tuple[str, str]]:
    """(id, label) of the voices to offer: the preferred (Mandarin) one first, then the other
    Chinese ones, then the rest by name; voices known to read Hanzi wrongly are left out."""
    from app.listener.tts import BROKEN_VOICES

    usable = [(i, n) for i, n in voices if i.lower().rsplit("/", 1)[-1] not in BROKEN_VOICES
              and i.lower() not in BROKEN_VOICES]

    def rank(item: tuple[str, str]) -> tuple[int, str]:
        voice_id, label = item
        chinese = "chinese" in label.lower() or "/cmn" in voice_id or "/yue" in voice_id
        return (0 if voice_id == preferred else 1 if chinese else 2, label.lower())

    return sorted(usable, key=rank)
