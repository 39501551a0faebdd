"""Speech-to-intent on other voices and channels (issue 10 §4): accuracy and confidently-wrong rate
per augmentation condition, and the rejection threshold calibrated over all of them together.

Clips: the 80 dev commands of ../shared/audio/aishell-s0150 and a seeded sample of its news
sentences (not commands), with the test grammar bench/data/dev_commands/ — both found exactly as
bench/bench_understand.py finds them. Conditions (bench/augment.py, seeded per clip):
clean; gain -12 dB and +6 dB (clipped); speed 0.9 and 1.1 (resampled: pitch moves too, like
another talker); reverberation (synthetic room, RT60 0.4 s); white and babble noise at 10 dB SNR;
telephone (300-3400 Hz band-pass, 8 kHz round trip); espeak-ng (voice cmn-latn-pinyin) reading
the transcripts, commands and news alike.

Per condition: command accuracy (intent and every slot exact), rejected, confidently wrong
(accepted, not ``unsure``, intent or a slot wrong), unsure (accepted with ``unsure``: to confirm),
and false accepts on the news sample. Then a threshold sweep over all conditions together,
simulated exactly from one pass at DEFAULT_THRESHOLD (intents/speech.py): for every clip the
grammar path's reading, its ratio and length, and the text-fallback reading are recorded, and the
simulation is checked against what ``finish()`` returned.
Usage: .venv/bin/python bench/bench_voices.py [--limit N] [--news 200] [--conditions a,b]
       [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import SAMPLE_RATE, load_audio
from asr.recognizer import Recognizer
from bench.augment import Augmentation, telephone
from bench.bench_understand import CHUNK, GRAMMAR, Expected, build, expected, news_start
from bench.bench_wake_calibration import espeak
from bench.common import Clip, dev_clips
from intents.slots import RangeSlot
from intents.speech import (
    DEFAULT_THRESHOLD,
    SHORT_PATH_MARGIN,
    SHORT_PATH_TOKENS,
    SpeechUnderstander,
    Understanding,
    UnderstandingStream,
    load_to_hanzi,
)

SEED = 10
NEWS = 200  # news clips in the sample (of 376)
SNR_DB = 10.0
RT60 = 0.4
VOICE = "cmn-latn-pinyin"
SWEEP = tuple(round(-0.25 * k, 2) for k in range(1, 15))  # -0.25 .. -3.5
MAX_FALSE = 0.01  # false accepts on news allowed when choosing a threshold

Slots = tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Reading:
    intent: str  # "domain.intent"
    slots: Slots
    unsure: bool

    @staticmethod
    def of(result: Understanding) -> Reading | None:
        if result.rejected:
            return None
        return Reading(f"{result.domain}.{result.intent}", tuple(sorted(result.slots.items())),
                       result.unsure)


@dataclass
class Trial:
    condition: str
    utt: str
    truth: Expected
    ratio: float  # constrained vs free, per token (-inf: no grammar path)
    path_tokens: int  # tokens of the grammar path (0: none)
    heard: bool  # free decoding heard something
    graph: Reading | None  # the path's reading when it may be taken (threshold aside)
    graph_final: bool  # the path refused itself (not as question/negation): no fallback
    text: Reading | None  # the text matcher's reading of free decoding (the fallback)
    actual: Reading | None  # what finish() returned at DEFAULT_THRESHOLD
    reason: str
    audio: float
    compute: float


def decide(trial: Trial, threshold: float) -> Reading | None:
    """What UnderstandingStream.finish() returns at ``threshold`` (None: rejected)."""
    if trial.path_tokens and trial.heard:
        needed = threshold + (SHORT_PATH_MARGIN if trial.path_tokens <= SHORT_PATH_TOKENS else 0)
        if trial.ratio >= needed:
            if trial.graph is not None:
                return trial.graph
            if trial.graph_final:
                return None
    return trial.text


def truth_reading(truth: Expected) -> tuple[str, Slots]:
    return truth.intent, tuple(sorted(truth.slots))


def right(trial: Trial, reading: Reading | None) -> bool:
    return reading is not None and (reading.intent, reading.slots) == truth_reading(trial.truth)


# --- conditions ---------------------------------------------------------------------------------

Render = Callable[[Clip, np.ndarray, int], np.ndarray]


def conditions(pool: dict[str, np.ndarray], folder: Path) -> dict[str, Render]:
    """Name → render(clip, its clean audio, index): each seeded by the condition and the clip."""

    def seed(name: str, index: int) -> int:
        key = [SEED, *name.encode(), index]
        return int(np.random.default_rng(key).integers(2**31))

    def babble_pool(clip: Clip) -> list[np.ndarray]:
        return [audio for utt, audio in pool.items() if utt != clip.utt]

    def augmented(name: str, **fields: Any) -> Render:
        def render(clip: Clip, speech: np.ndarray, index: int) -> np.ndarray:
            return Augmentation(**fields, seed=seed(name, index)).apply(speech, babble_pool(clip))
        return render

    def voice(clip: Clip, speech: np.ndarray, index: int) -> np.ndarray:
        return espeak(clip.text, VOICE, 175, 50, folder)  # espeak-ng's default rate and pitch

    return {
        "clean": lambda clip, speech, index: speech,
        "gain-12": augmented("gain-12", gain_db=-12.0),
        "gain+6": augmented("gain+6", gain_db=6.0),
        "speed0.9": augmented("speed0.9", speed=0.9),
        "speed1.1": augmented("speed1.1", speed=1.1),
        "reverb": augmented("reverb", rt60=RT60, drr_db=0.0),
        "white": augmented("white", noise="white", snr_db=SNR_DB),
        "babble": augmented("babble", noise="babble", snr_db=SNR_DB),
        "phone": lambda clip, speech, index: telephone(speech),
        "espeak": voice,
    }


# --- decoding -----------------------------------------------------------------------------------

def paths(stream: UnderstandingStream, result: Understanding
          ) -> tuple[int, bool, Reading | None, bool, Reading | None]:
    """After finish(): the path's length, whether free decoding heard anything, the path's reading
    and whether it refused itself for good, and the text fallback's reading."""
    free = stream.stream.finish()
    path = stream.both.constrained.best(final=True)
    graph, final, length = None, False, 0
    if path is not None and path.tokens:
        length = len(path.tokens)
        found = stream._from_path(path, free, result.ratio)
        if found is not None and not found.rejected:
            graph = Reading.of(found)
        elif found is not None:
            final = not found.reason.startswith(("question", "negation"))
    fallback = stream._fallback(free, result.ratio, "")
    return length, bool(free.tokens), graph, final, Reading.of(fallback)


def run(understander: SpeechUnderstander, condition: str, clip: Clip, samples: np.ndarray,
        truth: Expected) -> Trial:
    began = time.perf_counter()
    stream = understander.stream()
    for start in range(0, len(samples), CHUNK):
        stream.accept(samples[start : start + CHUNK])
    result = stream.finish()
    compute = time.perf_counter() - began
    length, heard, graph, final, text = paths(stream, result)
    return Trial(condition, clip.utt, truth, result.ratio, length, heard, graph, final, text,
                 Reading.of(result), result.reason, len(samples) / SAMPLE_RATE, compute)


# --- figures ------------------------------------------------------------------------------------

@dataclass
class Figures:
    commands: int = 0
    correct: int = 0
    rejected: int = 0
    confidently_wrong: int = 0
    unsure: int = 0
    unsure_wrong: int = 0
    news: int = 0
    false_accepts: int = 0
    false_confident: int = 0

    def add(self, trial: Trial, reading: Reading | None) -> None:
        if trial.truth.kind != "command":
            self.news += 1
            self.false_accepts += reading is not None
            self.false_confident += reading is not None and not reading.unsure
            return
        self.commands += 1
        ok = right(trial, reading)
        self.correct += ok
        self.rejected += reading is None
        if reading is not None and reading.unsure:
            self.unsure += 1
            self.unsure_wrong += not ok
        elif reading is not None and not ok:
            self.confidently_wrong += 1


def figures(trials: list[Trial], threshold: float | None) -> Figures:
    """At ``threshold`` (simulated), or what finish() returned (None)."""
    out = Figures()
    for trial in trials:
        out.add(trial, trial.actual if threshold is None else decide(trial, threshold))
    return out


def pct(hit: int, total: int) -> str:
    return f"{hit}/{total} ({100 * hit / total:.1f} %)" if total else "–"


HEADER = (f"| {'condition':9} | {'accuracy':>16} | {'rejected':>15} | {'confidently wrong':>17} "
          f"| {'unsure (wrong)':>14} | {'false accepts news':>18} |")


def row(name: str, f: Figures) -> str:
    unsure = f"{f.unsure} ({f.unsure_wrong})"
    false = pct(f.false_accepts, f.news)
    if f.false_accepts != f.false_confident:
        false += f" [{f.false_accepts - f.false_confident} unsure]"
    return (f"| {name:9} | {pct(f.correct, f.commands):>16} | {pct(f.rejected, f.commands):>15} "
            f"| {pct(f.confidently_wrong, f.commands):>17} | {unsure:>14} | {false:>18} |")


def table(by_condition: dict[str, list[Trial]], threshold: float | None) -> None:
    print(HEADER)
    print("|---" * 6 + "|")
    everything = [t for trials in by_condition.values() for t in trials]
    for name, trials in by_condition.items():
        print(row(name, figures(trials, threshold)))
    print(row("all", figures(everything, threshold)))


def describe(reading: Reading | None) -> str:
    if reading is None:
        return "rejected"
    slots = ",".join(f"{k}={v}" for k, v in reading.slots)
    return f"{reading.intent}({slots}){' unsure' if reading.unsure else ''}"


def source(trial: Trial, reading: Reading | None) -> str:
    if reading is None:
        return "-"
    return "graph" if reading is trial.graph else "text"


def errors(by_condition: dict[str, list[Trial]]) -> None:
    print("\nwrong accepts at the default threshold (condition, clip, truth → reading, source, "
          "ratio/tokens):")
    for name, trials in by_condition.items():
        for t in trials:
            got = t.actual
            wrong = got is not None and (t.truth.kind != "command" or not right(t, got))
            if wrong:
                want = describe(Reading(*truth_reading(t.truth), False)) \
                    if t.truth.kind == "command" else "news"
                simulated = decide(t, DEFAULT_THRESHOLD)
                print(f"  {name:9} {t.utt} {want} → {describe(got)} "
                      f"[{source(t, simulated)}, {t.ratio:.2f}/{t.path_tokens}]")


def choose(swept: dict[float, Figures], news: int, max_wrong: int
           ) -> tuple[float | None, list[float]]:
    """The threshold of best accuracy with at most ``max_wrong`` confidently wrong and false
    accepts ≤ MAX_FALSE, and every threshold that ties with it. Among ties: today's threshold if
    it is one, else the strictest."""
    allowed = {t: f.correct for t, f in swept.items()
               if f.confidently_wrong <= max_wrong and f.false_accepts <= MAX_FALSE * news}
    top = max(allowed.values(), default=-1)
    ties = sorted((t for t, correct in allowed.items() if correct == top), reverse=True)
    best = DEFAULT_THRESHOLD if DEFAULT_THRESHOLD in ties else (ties[0] if ties else None)
    return best, ties


def sweep(everything: list[Trial]) -> dict[str, Any]:
    news = sum(1 for t in everything if t.truth.kind != "command")
    floor = figures(everything, math.inf)  # graph never taken: the text fallback alone
    print(f"\nthreshold sweep over all conditions together ({len(everything)} trials; the graph "
          f"path is taken at ratio ≥ t, +{SHORT_PATH_MARGIN:g} for paths ≤ {SHORT_PATH_TOKENS} "
          f"tokens; else the text fallback):")
    print(f"  text fallback alone (t = +inf): accuracy {pct(floor.correct, floor.commands)}, "
          f"confidently wrong {floor.confidently_wrong}, false accepts {floor.false_accepts}")
    print(f"  {'t':>6} {'accuracy':>18} {'conf. wrong':>12} {'unsure':>7} {'false accepts':>18}")
    swept: dict[float, Figures] = {}
    for t in sorted({*SWEEP, DEFAULT_THRESHOLD}, reverse=True):
        f = swept[t] = figures(everything, t)
        mark = " ← DEFAULT_THRESHOLD" if t == DEFAULT_THRESHOLD else ""
        print(f"  {t:6.2f} {pct(f.correct, f.commands):>18} {f.confidently_wrong:>12} "
              f"{f.unsure:>7} {pct(f.false_accepts, f.news):>18}{mark}")
    fewest = min(f.confidently_wrong for f in swept.values())
    best, ties = choose(swept, news, 0)
    if best is None:
        print(f"  no threshold reaches confidently wrong = 0 with false accepts ≤ "
              f"{100 * MAX_FALSE:g} % (the fewest any threshold leaves: {fewest})")
        best, ties = choose(swept, news, fewest)
    if best is not None:
        print(f"  best threshold with confidently wrong ≤ {fewest} and false "
              f"accepts ≤ {100 * MAX_FALSE:g} %: {best:g} (accuracy {swept[best].correct}; "
              f"ties: {', '.join(f'{t:g}' for t in ties)}); today's DEFAULT_THRESHOLD "
              f"{DEFAULT_THRESHOLD:g}")
    return {"rows": {str(t): asdict(f) for t, f in swept.items()}, "best": best, "ties": ties,
            "fewest_confidently_wrong": fewest, "default": DEFAULT_THRESHOLD}


def check(everything: list[Trial]) -> int:
    """Trials where the simulation at DEFAULT_THRESHOLD differs from finish() (printed)."""
    differ = [t for t in everything if decide(t, DEFAULT_THRESHOLD) != t.actual]
    print(f"\nsimulation at DEFAULT_THRESHOLD equals finish() on "
          f"{len(everything) - len(differ)}/{len(everything)} trials")
    for t in differ[:20]:
        print(f"  differs: {t.condition} {t.utt} finish {describe(t.actual)} simulated "
              f"{describe(decide(t, DEFAULT_THRESHOLD))} ({t.reason})")
    return len(differ)


def ratios(by_condition: dict[str, list[Trial]]) -> None:
    print("\nratio per token (n, no grammar path, p5 / p50 of the rest) of the path's reading when "
          "right, when wrong, and of news, per condition:")
    for name, trials in by_condition.items():
        groups = {"right": [t.ratio for t in trials if right(t, t.graph)],
                  "wrong": [t.ratio for t in trials if t.truth.kind == "command"
                            and t.graph is not None and not right(t, t.graph)],
                  "news": [t.ratio for t in trials if t.truth.kind != "command"]}
        parts = []
        for group, values in groups.items():
            finite = [v for v in values if math.isfinite(v)]
            q = np.percentile(finite, [5, 50]) if finite else [math.nan, math.nan]
            parts.append(f"{group} n={len(values)} no path {len(values) - len(finite)} "
                         f"{q[0]:.2f}/{q[1]:.2f}")
        print(f"  {name:9} " + "; ".join(parts))


# --- main ---------------------------------------------------------------------------------------

def select(clips: list[Clip], truths: dict[str, Expected], news: int, limit: int | None
           ) -> tuple[list[Clip], list[Clip], list[Clip]]:
    """(commands, the news sample, the babble pool: 50 other news clips), seeded."""
    commands = [c for c in clips if truths[c.utt].kind == "command"]
    all_news = [c for c in clips if truths[c.utt].kind == "news"]
    order = np.random.default_rng(SEED).permutation(len(all_news))
    sample = sorted(order[:news])
    pool = [all_news[i] for i in order[news : news + 50]]
    return commands[:limit], [all_news[i] for i in sample][:limit], pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="at most N commands and N news clips")
    parser.add_argument("--news", type=int, default=NEWS, help=f"news sample (default {NEWS})")
    parser.add_argument("--conditions", help="comma-separated (default: all)")
    parser.add_argument("--json", type=Path, help="write the figures and every trial here")
    args = parser.parse_args()
    started = time.perf_counter()
    clips = dev_clips()
    with tempfile.TemporaryDirectory() as tmp:
        grammar = build(Path(tmp), clips)
    temperature = grammar.slots["temperature"].slot
    assert isinstance(temperature, RangeSlot), "dev_commands: temperature is a range slot"
    numbers = {text: int(value) for text, value in temperature.forms()}
    start = news_start(clips)
    truths = {c.utt: expected(c, numbers, start, i) for i, c in enumerate(clips)}
    commands, news, pool_clips = select(clips, truths, args.news, args.limit)
    chosen = commands + news
    audio = {c.utt: load_audio(c.path) for c in chosen}
    pool = {c.utt: load_audio(c.path) for c in pool_clips}
    understander = SpeechUnderstander(Recognizer.load(threads=1), grammar,
                                      to_hanzi=load_to_hanzi())
    by_condition: dict[str, list[Trial]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        renders = conditions(pool, Path(tmp))
        names = args.conditions.split(",") if args.conditions else list(renders)
        unknown = [n for n in names if n not in renders]
        if unknown:
            parser.error(f"unknown conditions {unknown}; known: {', '.join(renders)}")
        print(f"grammar {GRAMMAR}; {len(commands)} commands, {len(news)} news clips "
              f"(seed {SEED}), babble from {len(pool)} other news clips; threshold "
              f"{DEFAULT_THRESHOLD:g}; conditions {', '.join(names)}", flush=True)
        for name in names:
            began = time.perf_counter()
            trials = [run(understander, name, clip, renders[name](clip, audio[clip.utt], i),
                          truths[clip.utt]) for i, clip in enumerate(chosen)]
            by_condition[name] = trials
            seconds = sum(t.audio for t in trials)
            rtf = sum(t.compute for t in trials) / seconds
            print(f"  {name}: {seconds:.0f} s of audio in {time.perf_counter() - began:.0f} s "
                  f"(RTF {rtf:.3f})", flush=True)
    everything = [t for trials in by_condition.values() for t in trials]
    print(f"\nat DEFAULT_THRESHOLD {DEFAULT_THRESHOLD:g} (what finish() returned; unsure (wrong): "
          f"accepted with unsure, of which wrong; [n unsure]: false accepts flagged unsure)")
    table(by_condition, None)
    differ = check(everything)
    errors(by_condition)
    ratios(by_condition)
    swept = sweep(everything)
    if swept["best"] is not None and swept["best"] != DEFAULT_THRESHOLD:
        print(f"\nat the best threshold {swept['best']:g} (simulated):")
        table(by_condition, swept["best"])
    print(f"\n{len(everything)} trials in {time.perf_counter() - started:.0f} s")
    if args.json:
        out = {"threshold": DEFAULT_THRESHOLD, "sweep": swept, "simulation_differs": differ,
               "conditions": {n: asdict(figures(ts, None)) for n, ts in by_condition.items()},
               "trials": [{**asdict(t), "ratio": t.ratio if math.isfinite(t.ratio) else None}
                          for t in everything]}
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
