"""The default grammar compiles into a decoding graph (English words and letters included) and
a real command clip is understood through it."""

from __future__ import annotations

from asr.audio import load_audio
from intents.speech import SpeechUnderstander


def test_default_grammar_understands_a_temperature_command(  # type: ignore[no-untyped-def]
        default_understander: SpeechUnderstander, clip) -> None:
    understander = default_understander  # tests/conftest.py: the default grammar's, shared
    assert understander.graph.num_arcs > 1000
    result = understander.understand(load_audio(clip("W0001")))  # 设定二十九度
    assert not result.rejected
    assert result.slots == {"temperature": 29}
    assert isinstance(result.slots["temperature"], int)  # JSON shows 29, not 29.0


def test_default_grammar_rejects_news(default_understander: SpeechUnderstander,  # type: ignore[no-untyped-def]
                                      clip) -> None:
    assert default_understander.understand(load_audio(clip("W0300"))).rejected
