"""Titles with Latin letters: spelled capitals and an English word beside Chinese words are
heard; English-only titles (no Chinese to anchor them) never take other speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.audio import load_audio
from asr.recognizer import Recognizer
from intents.grammar import load_grammar
from intents.speech import SpeechUnderstander, ToHanzi

GRAMMAR = """
language: zh-CN
slots:
  song: {list: songs}
intents:
  - domain: media
    intent: play_song
    sentences: ["(想听|来一首)[歌曲]{song}"]
"""


@pytest.fixture(scope="module")
def understander(tmp_path_factory: pytest.TempPathFactory,
                 recognizer: Recognizer, to_hanzi: ToHanzi) -> SpeechUnderstander:
    folder: Path = tmp_path_factory.mktemp("latin")
    (folder / "lists").mkdir()
    (folder / "lists" / "songs.txt").write_text(
        "Call Me Maybe\nhold不住的爱\n海阔天空\n", encoding="utf-8")
    (folder / "grammar.yaml").write_text(GRAMMAR, encoding="utf-8")
    return SpeechUnderstander(recognizer, load_grammar(folder / "grammar.yaml"),
                              to_hanzi=to_hanzi)


def test_english_word_beside_chinese_is_understood(understander: SpeechUnderstander,
                                                   clip) -> None:  # type: ignore[no-untyped-def]
    result = understander.understand(load_audio(clip("W0068")))  # 想听歌曲hold不住的爱
    assert not result.rejected
    assert result.slots == {"song": "hold不住的爱"}


def test_english_only_title_does_not_take_other_speech(understander: SpeechUnderstander,
                                                       clip) -> None:  # type: ignore[no-untyped-def]
    result = understander.understand(load_audio(clip("W0075")))  # 想听歌曲M A P S, not listed
    assert result.rejected or result.slots.get("song") != "Call Me Maybe"
