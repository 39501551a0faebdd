"""A grammar or list edit takes effect without a restart; a broken edit keeps the old one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from asr.audio import load_audio
from asr.recognizer import Recognizer
from intents.speech import LiveUnderstander, ToHanzi
from intents.store import GrammarStore

GRAMMAR = """
language: zh-CN
slots:
  song: {list: songs}
intents:
  - domain: media
    intent: play_song
    sentences: ["想听歌曲{song}"]
"""


def _touch_later(path: Path) -> None:
    later = time.time() + 5
    os.utime(path, (later, later))


def test_list_edit_takes_effect_without_restart(tmp_path: Path, recognizer: Recognizer,
                                                clip,
                                                to_hanzi: ToHanzi) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "lists").mkdir()
    songs = tmp_path / "lists" / "songs.txt"
    songs.write_text("海阔天空\n", encoding="utf-8")
    grammar = tmp_path / "grammar.yaml"
    grammar.write_text(GRAMMAR, encoding="utf-8")
    live = LiveUnderstander(recognizer, GrammarStore(grammar), to_hanzi=to_hanzi)
    audio = load_audio(clip("W0038"))  # 想听歌曲我的滑板鞋
    assert live.current().understand(audio).rejected

    songs.write_text("海阔天空\n我的滑板鞋\n", encoding="utf-8")
    _touch_later(songs)
    result = live.current().understand(audio)
    assert not result.rejected
    assert result.slots == {"song": "我的滑板鞋"}

    grammar.write_text(GRAMMAR.replace("{song}", "{song"), encoding="utf-8")  # broken
    _touch_later(grammar)
    problems = live.refresh()
    assert problems and "grammar.yaml" in str(problems[0])
    assert live.current().understand(audio).slots == {"song": "我的滑板鞋"}  # old one in force
