"""The listener over real dev recordings through the file source: the same path as the
microphone, decoded against the dev command grammar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from listen_helpers import espeak, intents_of, kinds, listen, silence

from app.listener.runtime import Reply
from asr.audio import load_audio
from intents.speech import SpeechUnderstander

COMMAND_CLIPS = ("W0001", "W0005", "W0036", "W0038", "W0083", "W0090")


@pytest.fixture(scope="module")
def grammar(dev_grammar: Path) -> Path:
    return dev_grammar  # written once for the session (tests/conftest.py); only read here


@pytest.fixture(scope="module")
def understood(dev_understander: SpeechUnderstander, clip) -> dict:  # type: ignore[no-untyped-def,type-arg]
    understander = dev_understander  # the dev grammar's, shared (tests/conftest.py)
    out = {}
    for utt in COMMAND_CLIPS:
        result = understander.understand(load_audio(clip(utt)))
        assert not result.rejected, utt
        out[utt] = (f"{result.domain}.{result.intent}", result.slots)
    return out


@pytest.mark.parametrize("chunk", [160, 512, 4000])
def test_push_to_talk_over_a_file_equals_understand(chunk: int, grammar: Path, recognizer,  # type: ignore[no-untyped-def]
                                                    to_hanzi, clip, understood) -> None:
    for utt in COMMAND_CLIPS:
        events = listen(load_audio(clip(utt)), grammar, recognizer, to_hanzi, chunk=chunk)
        assert intents_of(events) == [understood[utt]], (utt, chunk, events)
        order = [k for k in kinds(events) if k in ("speech_start", "speech_end", "intent")]
        assert order == ["speech_start", "speech_end", "intent"]


def test_news_gives_no_intent(grammar: Path, recognizer, to_hanzi, clip) -> None:  # type: ignore[no-untyped-def]
    for utt in ("W0121", "W0200"):
        events = listen(load_audio(clip(utt)), grammar, recognizer, to_hanzi)
        assert intents_of(events) == [] and "rejected" in kinds(events)
        assert [e.data["text"] for e in events if e.kind == "reply"] == ["抱歉，我没听懂"]


def test_wake_word_then_command_in_one_breath_and_after_a_pause(grammar: Path, recognizer,  # type: ignore[no-untyped-def]
                                                                 to_hanzi, clip) -> None:
    wake = espeak("你好小灵")
    command = load_audio(clip("W0001"))  # 设定二十九度
    news = load_audio(clip("W0121"))
    audio = np.concatenate([silence(1.0), wake, silence(0.05), command, silence(1.5), news,
                            silence(1.0), wake, silence(1.0), command, silence(2.0)])
    events = listen(audio, grammar, recognizer, to_hanzi, mode="wake", wake=["你好小灵"])
    assert [e.data["keyword"] for e in events if e.kind == "wake"] == ["你好小灵"] * 2
    assert intents_of(events) == [("climate.set_temperature", {"temperature": 29})] * 2


def test_news_and_silence_do_not_wake(grammar: Path, recognizer, to_hanzi, clip) -> None:  # type: ignore[no-untyped-def]
    audio = np.concatenate([load_audio(clip(u)) for u in ("W0121", "W0122", "W0200", "W0300")])
    events = listen(np.concatenate([audio, silence(3.0)]), grammar, recognizer, to_hanzi,
                    mode="wake", wake=["你好小灵"])
    assert "wake" not in kinds(events) and intents_of(events) == []


def test_complete_command_ends_quickly_unfinished_number_waits(grammar: Path, recognizer,  # type: ignore[no-untyped-def]
                                                               to_hanzi, clip) -> None:
    events = listen(np.concatenate([load_audio(clip("W0005")), silence(3.0)]), grammar,
                    recognizer, to_hanzi, hold=False)  # 调高温度: nothing can follow
    end = next(e for e in events if e.kind == "speech_end")
    assert end.data["reason"] == "decided"
    assert end.t - float(end.data["last_speech"]) <= 0.3  # type: ignore[arg-type]

    number = load_audio(clip("W0083"))  # 一三八零八五五三三幺六, with a 0.6 s pause inside
    cut = len(number) // 2
    while abs(number[cut]) > 0.01:
        cut += 1
    paused = np.concatenate([number[:cut], silence(0.6), number[cut:], silence(3.0)])
    events = listen(paused, grammar, recognizer, to_hanzi, hold=False)
    assert intents_of(events) == [("telephone.dial", {"phone": "13808553316"})], events
    assert kinds(events).count("speech_end") == 1


def test_fixed_hangover_waits_the_full_silence(grammar: Path, recognizer, to_hanzi,  # type: ignore[no-untyped-def]
                                               clip) -> None:
    audio = np.concatenate([load_audio(clip("W0005")), silence(3.0)])
    events = listen(audio, grammar, recognizer, to_hanzi, hangover=0.7, hold=False)
    end = next(e for e in events if e.kind == "speech_end")
    assert end.data["reason"] == "silence"
    assert 0.69 <= end.t - float(end.data["last_speech"]) <= 0.75  # type: ignore[arg-type]
    assert intents_of(events) == [("climate.warmer", {})]


@pytest.mark.parametrize("asks", [True, False])
def test_a_question_left_unanswered_lapses_when_the_answer_window_closes(  # type: ignore[no-untyped-def]
        asks: bool, grammar: Path, recognizer, to_hanzi, clip) -> None:
    """确定吗？ and then nothing for the whole answer window: the assistant is told, so a short
    utterance heard much later is never taken as the answer."""
    lapsed: list[bool] = []

    def decide(understanding, done) -> None:  # type: ignore[no-untyped-def]
        done(Reply("要设定二十九度吗？" if asks else "好的", expect_reply=asks))

    audio = np.concatenate([silence(0.5), load_audio(clip("W0001")), silence(9.0)])
    events = listen(audio, grammar, recognizer, to_hanzi, decide=decide,
                    on_lapsed=lambda: lapsed.append(True), hold=False, answer_window=4.0)
    states = [e.data["state"] for e in events if e.kind == "state"]
    assert ("follow_up" in states) is asks, states
    assert lapsed == ([True] if asks else [])
