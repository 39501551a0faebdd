"""Wake words on real dev clips through `lingyin spot --json`, with golden results."""

from __future__ import annotations

import json

from app.cli import main
from asr.audio import load_audio
from asr.kws import Keyword, KeywordSpotter
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
