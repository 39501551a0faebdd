"""Recogniser benchmark, side by side with sherpa-onnx on the same model files and clips.

Prints pinyin token error rate (greedy and beam 4), real-time factor (one thread), Hanzi CER of
the free-text conversion on sentences of 8+ characters, model load time and resident memory.
Usage: .venv/bin/python bench/bench_asr.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import load_audio
from asr.recognizer import Recognizer
from bench.common import (
    dev_clips,
    edit_distance,
    is_all_chinese,
    reference_tokens,
    sherpa_decode,
    sherpa_recognizer,
)

SYSTEMS = ("lingyin greedy", "sherpa greedy", "lingyin beam4", "sherpa beam4")


Hyps = dict[str, dict[str, list[str]]]


def decode_all(limit: int | None) -> tuple[Hyps, dict[str, float], float]:
    """Decode each clip with every system in turn (interleaved, so machine noise hits all)."""
    ours = Recognizer.load(threads=1)
    sherpa = {"greedy": sherpa_recognizer("greedy_search"),
              "beam4": sherpa_recognizer("modified_beam_search")}
    clips = [c for c in dev_clips() if is_all_chinese(c.text)][:limit]
    hyps: dict[str, dict[str, list[str]]] = {s: {} for s in SYSTEMS}
    nbest: dict[str, dict[str, list[tuple[str, float]]]] = {s: {} for s in SYSTEMS}
    seconds = dict.fromkeys(SYSTEMS, 0.0)
    audio = 0.0
    for clip in clips:
        samples = load_audio(clip.path)
        audio += len(samples) / 16000
        for system in SYSTEMS:
            who, mode = system.split()
            started = time.perf_counter()
            if who == "sherpa":
                tokens = sherpa_decode(sherpa[mode], samples)
            else:
                result = ours.recognize(samples, beam=1 if mode == "greedy" else 4)
                tokens = result.pinyin.split()
                nbest[system][clip.utt] = list(result.nbest)
            seconds[system] += time.perf_counter() - started
            hyps[system][clip.utt] = tokens
    NBEST.update(nbest["lingyin beam4"])
    return hyps, seconds, audio


NBEST: dict[str, list[tuple[str, float]]] = {}  # the beam's hypotheses per clip, for the text


def token_error_rates(hyps: dict[str, dict[str, list[str]]]) -> dict[str, float]:
    texts = {c.utt: c.text for c in dev_clips()}
    rates = {}
    for system, by_utt in hyps.items():
        errors = total = 0
        for utt, tokens in by_utt.items():
            ref = reference_tokens(texts[utt])
            errors += edit_distance(ref, tokens)
            total += len(ref)
        rates[system] = errors / total
    return rates


def hanzi_cer(hyps: dict[str, list[str]], use_nbest: bool = False) -> tuple[float, int]:
    """CER of the converter on sentences of 8+ characters; ``use_nbest`` rescoring the beam's
    hypotheses (as `lingyin transcribe` does) instead of the 1-best pinyin."""
    from asr.hanzi import HanziConverter

    converter = HanziConverter.load()
    texts = {c.utt: c.text for c in dev_clips()}
    errors = total = count = 0
    for utt, tokens in hyps.items():
        ref = "".join(ch for ch in texts[utt] if "\u4e00" <= ch <= "\u9fff")
        if len(ref) < 8:
            continue
        if use_nbest and len(NBEST.get(utt, [])) > 1:
            text = converter.convert_nbest(NBEST[utt])
        else:
            text = converter.convert(" ".join(tokens))
        out = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
        errors += edit_distance(ref, out)
        total += len(ref)
        count += 1
    return errors / total, count


LOAD_PROBE = """
import json, time
from bench.common import rss_mb
import numpy as np, onnxruntime, kaldi_native_fbank
from asr.audio import load_audio
samples = load_audio({clip!r})
before = rss_mb()
started = time.perf_counter()
from asr.recognizer import Recognizer
rec = Recognizer.load(threads=1)
load = time.perf_counter() - started
rec.recognize(samples, beam=4)
loads = []
for _ in range(5):
    t = time.perf_counter(); Recognizer.load(threads=1); loads.append(time.perf_counter() - t)
print(json.dumps({{"first_load": load, "load_median": sorted(loads)[2],
                  "rss_added_mb": rss_mb() - before}}))
"""


def load_and_memory() -> dict[str, float]:
    """In a fresh process: onnxruntime imported first, then the recogniser loaded and used."""
    clip = str(dev_clips()[0].path)
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", LOAD_PROBE.format(clip=clip)], cwd=root,
                         check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="only the first N clips (quick look)")
    args = parser.parse_args()
    hyps, seconds, audio = decode_all(args.limit)
    rates = token_error_rates(hyps)
    print(f"clips: {len(hyps['sherpa greedy'])} all-Chinese, {audio:.1f} s of audio")
    print(f"{'system':16} {'token error':>12} {'RTF':>8}")
    for system in SYSTEMS:
        print(f"{system:16} {rates[system]:12.2%} {seconds[system] / audio:8.4f}")
    for mode in ("greedy", "beam4"):
        ratio = seconds[f"lingyin {mode}"] / seconds[f"sherpa {mode}"]
        print(f"RTF ratio lingyin/sherpa {mode}: {ratio:.2f}")
    for system in ("lingyin beam4", "sherpa beam4"):
        cer, count = hanzi_cer(hyps[system])
        print(f"Hanzi CER from {system} 1-best pinyin, {count} sentences of 8+ chars: {cer:.2%}")
    cer, count = hanzi_cer(hyps["lingyin beam4"], use_nbest=True)
    print(f"Hanzi CER from lingyin beam4 N-best (as transcribe does), {count} sentences: {cer:.2%}")
    memory = load_and_memory()
    print(f"model load: first {memory['first_load']:.3f} s, median of 5 "
          f"{memory['load_median']:.3f} s; resident memory added {memory['rss_added_mb']:.1f} MB")


if __name__ == "__main__":
    main()
