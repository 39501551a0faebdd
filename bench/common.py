"""Helpers shared by the benchmarks: the dev set, reference pinyin, edit distance, sherpa-onnx."""

from __future__ import annotations

import re
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from asr import settings
from asr.manifest import Manifest

CJK = re.compile(r"[\u4e00-\u9fff]")
PUNCT = re.compile(r"[()（）\s,，。.!！?？、]")


@dataclass(frozen=True)
class Clip:
    utt: str
    path: Path
    text: str


def dev_clips(shared: Path | None = None) -> list[Clip]:
    root = (shared or settings.shared_dir()) / "audio" / "aishell-s0150"
    clips = []
    for line in (root / "text.tsv").read_text(encoding="utf-8-sig").splitlines():
        utt, text = line.split("\t", 1)
        text = text.strip().lstrip("\ufeff")
        clips.append(Clip(utt, root / "wav" / f"{utt}.flac", text))
    return clips


def is_all_chinese(text: str) -> bool:
    stripped = PUNCT.sub("", text)
    return bool(stripped) and all(CJK.match(c) for c in stripped)


def reference_tokens(text: str) -> list[str]:
    """Initials (y/w included) and tone-marked finals from pypinyin over the whole phrase."""
    from pypinyin import Style, pinyin

    hanzi = "".join(CJK.findall(text))
    initials = pinyin(hanzi, style=Style.INITIALS, strict=False)
    finals = pinyin(hanzi, style=Style.FINALS_TONE, strict=False)
    tokens: list[str] = []
    for (initial,), (final,) in zip(initials, finals, strict=True):
        if initial:
            tokens.append(initial)
        if final:
            tokens.append(final)
    return tokens


def edit_distance(ref: list[Any] | str, hyp: list[Any] | str) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sherpa_recognizer(method: str, model_dir: Path | None = None) -> Any:
    import sherpa_onnx

    manifest = Manifest.load()
    folder = model_dir or settings.model_dir()
    roles = manifest.roles
    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(folder / roles["tokens"]), encoder=str(folder / roles["encoder"]),
        decoder=str(folder / roles["decoder"]), joiner=str(folder / roles["joiner"]),
        num_threads=1, decoding_method=method, max_active_paths=4,
    )


def sherpa_decode(recognizer: Any, samples: np.ndarray, tail_seconds: float = 0.5) -> list[str]:
    stream = recognizer.create_stream()
    stream.accept_waveform(16000, samples)
    stream.accept_waveform(16000, np.zeros(int(tail_seconds * 16000), dtype=np.float32))
    stream.input_finished()
    while recognizer.is_ready(stream):
        recognizer.decode_stream(stream)
    return list(recognizer.get_result_all(stream).tokens)
