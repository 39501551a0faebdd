"""Wake-word benchmark, side by side with sherpa-onnx's KeywordSpotter on the same model and clips.

Recall of a phrase that occurs in the dev set (想听歌曲, 44 clips), false alarms per hour on every
other clip, false alarms of phrases that never occur (你好小灵, 小爱同学, 打开空调); clean, and with
white and babble noise at 10 dB SNR. Also the CPU cost of continuous listening (real-time factor).
Usage: .venv/bin/python bench/bench_kws.py [--limit N] [--conditions clean,white,babble]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr import settings
from asr.audio import load_audio
from asr.kws import Keyword, KeywordSpotter, spot_samples
from asr.manifest import Manifest
from asr.model import TransducerModel
from asr.readings import phrase_units
from bench.common import dev_clips
from bench.noise import babble, mix_at_snr, white

PRESENT = "想听歌曲"
ABSENT = ("你好小灵", "小爱同学", "打开空调")


def sherpa_spotter(model: TransducerModel, phrases: list[str], folder: Path) -> Any:
    import sherpa_onnx

    vocabulary = frozenset(model.tokens.symbols)
    lines = []
    for phrase in phrases:
        tokens = [t for unit in phrase_units(phrase, vocabulary) for t in unit.options[0]]
        lines.append(" ".join(tokens) + f" @{phrase}")
    keywords = folder / "keywords.txt"
    keywords.write_text("\n".join(lines) + "\n", encoding="utf-8")
    roles, directory = Manifest.load().roles, settings.model_dir()
    return sherpa_onnx.KeywordSpotter(
        tokens=str(directory / roles["tokens"]), encoder=str(directory / roles["encoder"]),
        decoder=str(directory / roles["decoder"]), joiner=str(directory / roles["joiner"]),
        keywords_file=str(keywords), num_threads=1)


def sherpa_spot(spotter: Any, samples: np.ndarray) -> list[str]:
    stream = spotter.create_stream()
    stream.accept_waveform(16000, samples)
    stream.accept_waveform(16000, np.zeros(8000, dtype=np.float32))
    stream.input_finished()
    found = []
    while spotter.is_ready(stream):
        spotter.decode_stream(stream)
        keyword = spotter.get_result(stream)
        if keyword:
            found.append(keyword)
            spotter.reset_stream(stream)
    return found


def condition_audio(name: str, speech: np.ndarray, others: list[np.ndarray],
                    seed: int) -> np.ndarray:
    if name == "clean":
        return speech
    noise = white(len(speech), seed) if name == "white" else babble(others, len(speech), seed)
    return mix_at_snr(speech, noise, 10.0)


def run_condition(name: str, clips: list[Any], audio: list[np.ndarray], ours: KeywordSpotter,
                  sherpa: Any) -> dict[str, Any]:
    stats: dict[str, Any] = {s: {"hits": 0, "false": {}, "seconds": 0.0}
                             for s in ("lingyin", "sherpa")}
    positives = other_hours = 0.0
    for index, (clip, speech) in enumerate(zip(clips, audio, strict=True)):
        samples = condition_audio(name, speech, audio[:50], index)
        has = PRESENT in clip.text
        positives += has
        other_hours += 0 if has else len(samples) / 16000 / 3600
        for system in ("lingyin", "sherpa"):
            started = time.perf_counter()
            if system == "lingyin":
                found = [d.keyword for d in spot_samples(ours, samples)]
            else:
                found = sherpa_spot(sherpa, samples)
            stats[system]["seconds"] += time.perf_counter() - started
            for keyword in found:
                if keyword == PRESENT and has:
                    stats[system]["hits"] += 1
                else:
                    stats[system]["false"][keyword] = stats[system]["false"].get(keyword, 0) + 1
    stats["positives"], stats["other_hours"] = positives, other_hours
    return stats


def idle_cpu(ours: KeywordSpotter, sherpa: Any, seconds: float = 60.0) -> dict[str, float]:
    """CPU seconds per second of audio while listening to silence with low noise (-60 dBFS),
    fed in 0.1 s chunks as a microphone loop does."""
    rng = np.random.default_rng(0)
    audio = (0.001 * rng.standard_normal(int(seconds * 16000))).astype(np.float32)
    chunks = [audio[i : i + 1600] for i in range(0, len(audio), 1600)]
    out = {}
    started = time.process_time()
    stream = ours.stream()
    for chunk in chunks:
        stream.accept(chunk)
    out["lingyin"] = (time.process_time() - started) / seconds
    started = time.process_time()
    sherpa_stream = sherpa.create_stream()
    for chunk in chunks:
        sherpa_stream.accept_waveform(16000, chunk)
        while sherpa.is_ready(sherpa_stream):
            sherpa.decode_stream(sherpa_stream)
    out["sherpa"] = (time.process_time() - started) / seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--conditions", default="clean,white,babble")
    args = parser.parse_args()
    model = TransducerModel.load()
    phrases = [PRESENT, *ABSENT]
    ours = KeywordSpotter(model, [Keyword.from_text(p, model) for p in phrases])
    clips = [c for c in dev_clips()][: args.limit]
    audio = [load_audio(c.path) for c in clips]
    total_seconds = sum(len(a) for a in audio) / 16000
    with tempfile.TemporaryDirectory() as tmp:
        sherpa = sherpa_spotter(model, phrases, Path(tmp))
        idle = idle_cpu(ours, sherpa)
        print("idle listening (60 s of silence + noise at -60 dBFS, 0.1 s chunks): CPU "
              + ", ".join(f"{k} {v * 100:.1f} % of one core" for k, v in idle.items()))
        for name in args.conditions.split(","):
            stats = run_condition(name, clips, audio, ours, sherpa)
            print(f"[{name}] {int(stats['positives'])} clips with {PRESENT}, "
                  f"{stats['other_hours']:.2f} h of other speech")
            for system in ("lingyin", "sherpa"):
                s = stats[system]
                false = sum(s["false"].values())
                print(f"  {system:8} recall {s['hits']}/{int(stats['positives'])} "
                      f"false alarms {false} ({false / stats['other_hours']:.2f}/h) {s['false']} "
                      f"RTF {s['seconds'] / total_seconds:.4f}")


if __name__ == "__main__":
    main()
