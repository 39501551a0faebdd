"""Speech-to-intent benchmark on the dev set: grammar-constrained decoding with rejection.

One pass over every clip of ../shared/audio/aishell-s0150 with the test grammar in
bench/data/dev_commands/ (its song list is written from the dev transcripts into a temporary
folder: the titles are user data). Commands are found from the transcript pattern (设定…度,
调高温度, 想听/来一首歌曲…, 11 spoken digits); every other clip is speech that is not a command,
split into news sentences and short names/places.

Prints, per condition (clean, white and babble noise at 10 dB SNR):
- command accuracy (intent and every slot exact) and false commands on news and on names, for
  Lingyin at its threshold, and for the baseline: free decoding + the text matcher alone;
- how many accepts came from the text-matcher fallback (source "text");
- the rejection ratio per token (Understanding.ratio) for commands vs non-commands, and the
  accuracy / false commands over a sweep of thresholds (simulated exactly from the same pass:
  the graph result and the fallback result are both recorded for every clip);
- latency end of speech → result (``finish()`` after the last 0.1 s chunk; p50, p95) and RTF.
Rhino (Picovoice) publishes 97.6 % command accuracy; it has no runnable peer here.
Usage: .venv/bin/python bench/bench_understand.py [--limit N] [--conditions clean,white,babble]
       [--threshold X] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import load_audio
from asr.recognizer import Recognizer
from bench.common import Clip, dev_clips
from bench.noise import babble, mix_at_snr, white
from intents.grammar import load_grammar
from intents.matcher import Matcher
from intents.model import Grammar
from intents.speech import DEFAULT_THRESHOLD, TEXT_MATCH_MIN, SpeechUnderstander, load_to_hanzi

GRAMMAR = Path(__file__).resolve().parent / "data" / "dev_commands"
CHUNK = 1600  # 0.1 s at 16 kHz: what a live microphone loop feeds
SNR_DB = 10.0
SWEEP = (-0.25, -0.5, -0.75, -1.0, -1.25, -1.5, -2.0, -2.5, -3.0)
DIGITS = {"零": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
          "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9"}
SONG = re.compile(r"^(?:想听|来一首)歌曲(.+)$")
TEMPERATURE = re.compile(r"^设定(.+)度$")
PHONE = re.compile(f"^[{''.join(DIGITS)}]{{11}}$")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Expected:
    kind: str  # "command", "news" or "names"
    intent: str = ""
    slots: tuple[tuple[str, object], ...] = ()


def song_titles(clips: list[Clip]) -> list[str]:
    return list(dict.fromkeys(m.group(1) for c in clips if (m := SONG.match(c.text))))


def expected(clip: Clip, numbers: dict[str, int], news_from: int, index: int) -> Expected:
    text = clip.text
    if m := TEMPERATURE.match(text):
        return Expected("command", "climate.set_temperature", (("temperature", numbers[m[1]]),))
    if text == "调高温度":
        return Expected("command", "climate.warmer")
    if text == "调低温度":
        return Expected("command", "climate.cooler")
    if m := SONG.match(text):
        return Expected("command", "music.play", (("song", m[1]),))
    if PHONE.match(text):
        return Expected("command", "telephone.dial", (("phone", "".join(DIGITS[c] for c in text)),))
    letters = re.fullmatch(r"[A-Za-z ]+", text) is not None  # spelled letters: E Y N
    return Expected("names" if letters or index < news_from else "news")


def news_start(clips: list[Clip]) -> int:
    """AISHELL prompt blocks: short names/places first; the news block starts at the first
    non-command sentence of 11+ characters (without brackets)."""
    for index, clip in enumerate(clips):
        long = len(CJK.findall(clip.text)) >= 11 and not re.search(r"[()（）]", clip.text)
        if long and not (SONG.match(clip.text) or PHONE.match(clip.text)):
            return index
    return len(clips)


@dataclass
class Record:
    utt: str
    truth: Expected
    ratio: float  # constrained vs free, per token (-inf: no grammar path)
    graph: tuple[str, tuple[tuple[str, object], ...]] | None  # the graph path's reading
    text: tuple[str, tuple[tuple[str, object], ...], float] | None  # matcher on the free Hanzi
    audio: float
    compute: float
    latency: float
    source: str  # what the run at --threshold gave: "graph", "text" or "rejected"


def outcome(record: Record, threshold: float, text_min: float = TEXT_MATCH_MIN
            ) -> tuple[str, tuple[tuple[str, object], ...]] | None:
    """What SpeechUnderstander at ``threshold`` returns for this clip (None: rejected)."""
    if record.graph is not None and record.ratio >= threshold:
        return record.graph
    if record.text is not None and record.text[2] >= text_min:
        return record.text[0], record.text[1]
    return None


def condition_audio(name: str, speech: np.ndarray, others: list[np.ndarray], seed: int
                    ) -> np.ndarray:
    if name == "clean":
        return speech
    noise = white(len(speech), seed) if name == "white" else babble(others, len(speech), seed)
    return mix_at_snr(speech, noise, SNR_DB)


def run_clip(understander: SpeechUnderstander, matcher: Matcher, samples: np.ndarray,
             truth: Expected, utt: str) -> Record:
    stream = understander.stream()
    compute = 0.0
    for start in range(0, len(samples), CHUNK):
        began = time.perf_counter()
        stream.accept(samples[start : start + CHUNK])
        compute += time.perf_counter() - began
    began = time.perf_counter()
    result = stream.finish()
    latency = time.perf_counter() - began
    compute += latency
    # Both readings, whatever the threshold, so that other thresholds can be simulated exactly.
    free = stream.stream.finish()
    constrained = stream.both.constrained.best(final=True)
    graph = None
    if constrained is not None and constrained.tokens:
        found = stream._from_path(constrained, free, result.ratio)
        if found is not None:
            graph = (f"{found.domain}.{found.intent}", tuple(sorted(found.slots.items())))
    heard = understander.to_hanzi(free.pinyin) if free.tokens else ""
    match = matcher.match(heard) if heard else None
    text = None if match is None else (f"{match.domain}.{match.intent}",
                                       tuple(sorted(match.slots.items())), float(match.confidence))
    source = "rejected" if result.rejected else result.source
    return Record(utt, truth, result.ratio, graph, text, len(samples) / 16000, compute, latency,
                  source)


def score(records: list[Record], decide: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    commands = [r for r in records if r.truth.kind == "command"]
    correct = sum(1 for r in commands
                  if decide(r) == (r.truth.intent, tuple(sorted(r.truth.slots))))
    out["commands"] = (correct, len(commands))
    for kind in ("news", "names"):
        group = [r for r in records if r.truth.kind == kind]
        out[kind] = (sum(1 for r in group if decide(r) is not None), len(group))
    out["non-commands"] = (out["news"][0] + out["names"][0], out["news"][1] + out["names"][1])
    return out


def percent(pair: tuple[int, int]) -> str:
    hit, total = pair
    return f"{hit}/{total} ({100 * hit / max(total, 1):.1f} %)"


def report(name: str, records: list[Record], threshold: float) -> dict[str, Any]:
    ours = score(records, lambda r: outcome(r, threshold))
    base = score(records, lambda r: None if r.text is None else (r.text[0], r.text[1]))
    base_min = score(records, lambda r: None if r.text is None or r.text[2] < TEXT_MATCH_MIN
                     else (r.text[0], r.text[1]))
    sources = {s: sum(1 for r in records if r.source == s) for s in ("graph", "text", "rejected")}
    text_wrong = sum(1 for r in records if r.source == "text" and (
        r.truth.kind != "command" or outcome(r, threshold) != (r.truth.intent,
                                                                tuple(sorted(r.truth.slots)))))
    print(f"\n[{name}] {len(records)} clips, {sum(r.audio for r in records) / 3600:.2f} h")
    print(f"  {'system':34} {'command accuracy':>18} {'false: news':>18} {'false: names':>16} "
          f"{'false: all':>16}")
    rows = [(f"lingyin (threshold {threshold:g})", ours),
            ("free beam4 + text matcher (≥0.5)", base),
            (f"free beam4 + text matcher (≥{TEXT_MATCH_MIN:g})", base_min)]
    for label, s in rows:
        print(f"  {label:34} {percent(s['commands']):>18} {percent(s['news']):>18} "
              f"{percent(s['names']):>16} {percent(s['non-commands']):>16}")
    print(f"  Rhino (published)                  {'97.6 %':>18}")
    print(f"  lingyin results by source: {sources}; text-fallback accepts that were wrong: "
          f"{text_wrong}")
    ratios = {kind: np.array([r.ratio for r in records if r.truth.kind == kind])
              for kind in ("command", "news", "names")}
    for kind, values in ratios.items():
        finite = values[np.isfinite(values)]
        if len(values):
            q = np.percentile(finite, [0, 5, 50, 95, 100]) if len(finite) else [math.nan] * 5
            print(f"  ratio {kind:8} n={len(values):3} no path={len(values) - len(finite):3} "
                  f"min {q[0]:.2f} p5 {q[1]:.2f} p50 {q[2]:.2f} p95 {q[3]:.2f} max {q[4]:.2f}")
    print("  threshold sweep (graph path accepted at ratio ≥ t, else text fallback ≥ "
          f"{TEXT_MATCH_MIN:g}):")
    sweep = {}
    for t in sorted({*SWEEP, threshold}, reverse=True):
        s = score(records, lambda r, t=t: outcome(r, t))
        sweep[t] = s
        print(f"    t={t:6.2f}  commands {percent(s['commands']):>18}  "
              f"news {percent(s['news']):>16}  names {percent(s['names']):>14}")
    latency = np.array([r.latency for r in records]) * 1000
    rtf = sum(r.compute for r in records) / sum(r.audio for r in records)
    print(f"  latency end of speech → result: p50 {np.percentile(latency, 50):.0f} ms, "
          f"p95 {np.percentile(latency, 95):.0f} ms, max {latency.max():.0f} ms; RTF {rtf:.3f} "
          f"(0.1 s chunks, one thread)")
    wrong = [(r.utt, r.truth.intent or r.truth.kind, outcome(r, threshold), round(r.ratio, 2))
             for r in records if (r.truth.kind == "command") != (outcome(r, threshold) is not None)
             or (r.truth.kind == "command"
                 and outcome(r, threshold) != (r.truth.intent, tuple(sorted(r.truth.slots))))]
    for item in wrong:
        print(f"    miss/false: {item}")
    return {"ours": ours, "baseline": base, "baseline_min": base_min, "sources": sources,
            "sweep": {str(k): v for k, v in sweep.items()}, "rtf": rtf,
            "latency_ms": {"p50": float(np.percentile(latency, 50)),
                           "p95": float(np.percentile(latency, 95))},
            "ratios": {k: [float(x) for x in v] for k, v in ratios.items()},
            "errors": [[str(x) for x in w] for w in wrong]}


def build(lists_dir: Path, clips: list[Clip]) -> Grammar:
    (lists_dir / "songs.txt").write_text("\n".join(song_titles(clips)) + "\n", encoding="utf-8")
    return load_grammar(GRAMMAR, lists_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--conditions", default="clean,white,babble")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", type=Path, help="write the figures and ratios here")
    args = parser.parse_args()
    clips = dev_clips()
    with tempfile.TemporaryDirectory() as tmp:
        grammar = build(Path(tmp), clips)
    numbers = {text: int(value) for text, value in
               grammar.slots["temperature"].slot.forms()}  # type: ignore[attr-defined]
    start = news_start(clips)
    truths = {c.utt: expected(c, numbers, start, i) for i, c in enumerate(clips)}
    chosen = clips[: args.limit]
    recognizer = Recognizer.load(threads=1)
    understander = SpeechUnderstander(recognizer, grammar, to_hanzi=load_to_hanzi(),
                                      threshold=args.threshold)
    matcher = Matcher(grammar)
    audio = [load_audio(c.path) for c in chosen]
    news_audio = [a for c, a in zip(chosen, audio, strict=True) if truths[c.utt].kind == "news"]
    babble_source = news_audio[-50:] or audio[:50]
    counts = {k: sum(1 for c in chosen if truths[c.utt].kind == k)
              for k in ("command", "news", "names")}
    graph = understander.graph
    print(f"grammar {GRAMMAR} ({len(song_titles(clips))} songs), graph {graph.num_states} "
          f"states, {graph.num_arcs} arcs; clips {counts}")
    figures = {}
    for name in args.conditions.split(","):
        records = []
        for index, (clip, speech) in enumerate(zip(chosen, audio, strict=True)):
            others = [a for a in babble_source if a is not speech]
            samples = condition_audio(name, speech, others, index)
            records.append(run_clip(understander, matcher, samples, truths[clip.utt], clip.utt))
        figures[name] = report(name, records, args.threshold)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
