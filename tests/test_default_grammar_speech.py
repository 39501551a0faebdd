"""The default grammar compiles into a decoding graph (English words and letters included) and
a real command clip is understood through it."""

from __future__ import annotations

from asr.audio import load_audio
from asr.recognizer import Recognizer
from intents.grammar import load_grammar
from intents.speech import SpeechUnderstander, ToHanzi
from intents.store import bundled_grammar_dir


def test_default_grammar_understands_a_temperature_command(recognizer: Recognizer, clip,
                                                            to_hanzi: ToHanzi) -> None:  # type: ignore[no-untyped-def]
    understander = SpeechUnderstander(recognizer, load_grammar(bundled_grammar_dir()),
                                      to_hanzi=to_hanzi)
    assert understander.graph.num_arcs > 1000
    result = understander.understand(load_audio(clip("W0001")))  # 设定二十九度
    assert not result.rejected
    assert result.slots == {"temperature": 29}
    assert isinstance(result.slots["temperature"], int)  # JSON shows 29, not 29.0


def test_default_grammar_rejects_news(recognizer: Recognizer, clip,
                                      to_hanzi: ToHanzi) -> None:  # type: ignore[no-untyped-def]
    understander = SpeechUnderstander(recognizer, load_grammar(bundled_grammar_dir()),
                                      to_hanzi=to_hanzi)
    assert understander.understand(load_audio(clip("W0300"))).rejected
