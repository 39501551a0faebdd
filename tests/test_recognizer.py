"""The recogniser on real dev clips: golden transcripts, chunk-size invariance, streaming."""

from __future__ import annotations

import numpy as np
import pytest

from asr.audio import iter_chunks, load_audio
from asr.recognizer import Recognizer

# Golden transcripts: the model's tokens for a few dev clips, checked against the transcript.
GOLDEN = {
    "W0001": "sh è d ìng èr sh í j iǔ d ù",  # 设定二十九度
    "W0005": "t iáo g āo w ēn d ù",  # 调高温度
    "W0087": "y ī s ān l íng l iù s ì s ān l iù w ǔ b ā s ì w ǔ",  # 一三零六四三六五八四五
}


@pytest.mark.parametrize(
    ("utt", "beam"),
    # greedy drops the leading 一 of W0087; beam search keeps it
    [("W0001", 1), ("W0005", 1), ("W0001", 4), ("W0005", 4), ("W0087", 4)],
)
def test_golden_transcripts(recognizer: Recognizer, clip, utt: str, beam: int) -> None:  # type: ignore[no-untyped-def]
    result = recognizer.recognize_file(clip(utt), beam=beam)
    assert result.pinyin == GOLDEN[utt]
    assert len(result.timestamps) == len(result.tokens) == len(result.token_logprobs)
    assert result.timestamps == sorted(result.timestamps)
    assert 0.0 < result.timestamps[0] < result.timestamps[-1] <= result.audio_seconds + 0.5
    assert 0.3 < result.confidence <= 1.0


@pytest.mark.parametrize("beam", [1, 4])
def test_chunk_size_invariance(recognizer: Recognizer, clip, beam: int) -> None:  # type: ignore[no-untyped-def]
    samples = load_audio(clip("W0030"))
    results = []
    for size in (160, 512, 4000, len(samples)):
        stream = recognizer.stream(beam=beam)
        for chunk in iter_chunks(samples, size):
            stream.accept(chunk)
        results.append(stream.finish())
    first = results[0]
    assert first.tokens, "the clip should produce tokens"
    for other in results[1:]:
        assert other.tokens == first.tokens
        assert other.timestamps == first.timestamps
        assert other.score == pytest.approx(first.score, abs=1e-3)


def test_partial_results_grow_while_streaming(recognizer: Recognizer, clip) -> None:  # type: ignore[no-untyped-def]
    samples = load_audio(clip("W0200"))
    stream = recognizer.stream(beam=4)
    lengths = []
    for chunk in iter_chunks(samples, 8000):
        stream.accept(chunk)
        partial = stream.partial()
        assert not partial.final
        lengths.append(len(partial.tokens))
    final = stream.finish()
    assert final.final
    assert lengths[0] < lengths[-1] <= len(final.tokens)
    assert stream.finish() is final  # finishing twice gives the same result


def test_beam_is_at_least_as_likely_as_greedy(recognizer: Recognizer, clip) -> None:  # type: ignore[no-untyped-def]
    samples = load_audio(clip("W0030"))
    greedy = recognizer.recognize(samples, beam=1)
    beam = recognizer.recognize(samples, beam=4)
    assert beam.tokens
    # the beam keeps the greedy path among its candidates, so it never ends worse by much
    assert beam.score >= greedy.score - 1.0


def test_stream_at_other_rate_is_resampled(recognizer: Recognizer, clip) -> None:  # type: ignore[no-untyped-def]
    import soxr

    samples = load_audio(clip("W0001"))
    at_44k = np.asarray(soxr.resample(samples, 16000, 44100), dtype=np.float32)
    stream = recognizer.stream(rate=44100, beam=4)
    for chunk in iter_chunks(at_44k, 3000, rate=44100):
        stream.accept(chunk)
    assert stream.finish().pinyin == GOLDEN["W0001"]
