"""Wake words on real dev clips through `lingyin spot --json`, with golden results; the bounds
that keep silence from matching (span per syllable, a level no voice is below)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from asr.audio import load_audio
from asr.kws import Keyword, KeywordSpotter, spot_samples
from asr.recognizer import Recognizer

PRESENT = ("W0038", "W0050", "W0075")  # 想听歌曲我的滑板鞋 / Call Me Maybe / M A P S
ABSENT = ("W0036", "W0001", "W0121", "W0083")  # 来一首歌曲…, temperature, news, phone


def test_cli_spot_golden(clip, capsys) -> None:  # type: ignore[no-untyped-def]
    files = [str(clip(u)) for u in (*PRESENT, *ABSENT)]
    argv = ["spot", "--json", "--keyword", "想听歌曲", "--keyword", "你好小灵", *files]
    assert main(argv) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == files
    for line in lines[: len(PRESENT)]:
        assert [d["keyword"] for d in line["detections"]] == ["想听歌曲"], line
        detection = line["detections"][0]
        assert 0.0 <= detection["start"] < detection["end"] < 2.5, line
        assert detection["score"] <= 0.5
    for line in lines[len(PRESENT) :]:
        assert line["detections"] == [], line


def test_spotting_does_not_depend_on_chunk_size(recognizer: Recognizer, clip) -> None:  # type: ignore[no-untyped-def]
    spotter = KeywordSpotter(recognizer.model, [Keyword.from_text("想听歌曲", recognizer.model)])
    samples = load_audio(clip("W0040"))
    found = []
    for size in (160, 1600, len(samples)):
        stream = spotter.stream()
        detections = []
        for start in range(0, len(samples), size):
            detections += stream.accept(samples[start : start + size])
        detections += stream.finish()
        found.append(detections)
    assert len(found[0]) == 1 and found[0][0].keyword == "想听歌曲"
    assert found[1] == found[0] and found[2] == found[0]


def test_every_dev_wake_phrase_is_found_within_its_span_bound(  # type: ignore[no-untyped-def]
        recognizer: Recognizer, dev_dir, dev_texts) -> None:
    """The bound on a detection's span (0.6 s a syllable + 1 s) never rejects a real phrase:
    all 44 of the dev speaker's 想听歌曲 are found (spans 0.76-1.12 s, the bound is 3.4 s)."""
    keyword = Keyword.from_text("想听歌曲", recognizer.model)
    assert keyword.syllables == 4 and keyword.max_span == pytest.approx(3.4)
    spotter = KeywordSpotter(recognizer.model, [keyword])
    utts = [u for u, text in dev_texts.items() if text.startswith("想听歌曲")]
    spans = []
    for utt in utts:
        found = spot_samples(spotter, load_audio(dev_dir / "wav" / f"{utt}.flac"))
        assert [d.keyword for d in found] == ["想听歌曲"], utt
        spans.append(found[0].end - found[0].start)
    assert len(utts) == 44 and max(spans) < 1.5


def test_silence_never_matches(recognizer: Recognizer) -> None:
    """60 s of digital zeros, and of noise at -120 dBFS: no detection for phrases that matched
    such silence before (their syllables picked from seconds apart: 嗨小灵 three times in 60 s of
    zeros, 你好呀 six times, spans of 5-18 s)."""
    spotter = KeywordSpotter(recognizer.model, [Keyword.from_text(p, recognizer.model)
                                                for p in ("嗨小灵", "你好呀", "小爱同学")])
    zeros = np.zeros(60 * 16000, dtype=np.float32)
    faint = np.random.default_rng(0).normal(0.0, 1e-6, len(zeros)).astype(np.float32)
    assert spot_samples(spotter, zeros) == []
    assert spot_samples(spotter, faint) == []


def test_syllables_seconds_apart_are_not_the_phrase(recognizer: Recognizer) -> None:
    """你好 … four seconds … 小灵 (espeak-ng): its span would be 5 s, not one utterance."""
    from listen_helpers import espeak, silence

    spotter = KeywordSpotter(recognizer.model, [Keyword.from_text("你好小灵", recognizer.model)])
    together = np.concatenate([silence(0.5), espeak("你好"), silence(0.3), espeak("小灵"),
                               silence(0.5)])
    apart = np.concatenate([silence(0.5), espeak("你好"), silence(4.0), espeak("小灵"),
                            silence(0.5)])
    assert [d.keyword for d in spot_samples(spotter, together)] == ["你好小灵"]
    assert spot_samples(spotter, apart) == []


def test_a_phrase_below_the_level_of_any_voice_is_not_heard(recognizer: Recognizer,  # type: ignore[no-untyped-def]
                                                            clip) -> None:
    """The dev phrase at a peak of -60 dBFS is found; at -80 dBFS (the model still matched it
    there) it is silence to the spotter."""
    spotter = KeywordSpotter(recognizer.model, [Keyword.from_text("想听歌曲", recognizer.model)])
    samples = load_audio(clip("W0038"))
    blocks = samples[: len(samples) // 640 * 640].reshape(-1, 640)
    peak = 20 * np.log10(float(np.sqrt(np.mean(blocks**2, axis=1)).max()))
    for level, found in ((-60.0, 1), (-80.0, 0)):
        scaled = (samples * 10 ** ((level - peak) / 20)).astype(np.float32)
        assert len(spot_samples(spotter, scaled)) == found, level
