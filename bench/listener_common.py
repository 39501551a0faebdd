"""Helpers for the listener benchmark (bench/bench_listener.py): the dev commands and their
grammar, the true end of speech of a clip, a wake phrase rendered by espeak-ng, and a file source
that records when each chunk was handed to the listener (wall clock) so latency can be measured
honestly through the real listener loop."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.listener.assemble import Assembled, ListenerOptions, build_listener
from app.listener.events import ListenerEvent
from app.listener.runtime import ListenerConfig
from app.listener.sources import FileSource
from asr.audio import SAMPLE_RATE, AudioChunk, Samples, load_audio
from asr.recognizer import Recognizer
from bench.bench_understand import GRAMMAR, Expected, build, expected, news_start
from bench.common import Clip, dev_clips
from intents.model import Grammar
from intents.slots import RangeSlot
from intents.speech import ToHanzi

FRAME = 160  # 10 ms
BELOW_PEAK_DB = 35.0
ABOVE_FLOOR_DB = 10.0
FLOOR_PERCENTILE = 10.0
MIN_RUN = 5  # frames: 50 ms


@dataclass
class DevSet:
    clips: list[Clip]
    truths: dict[str, Expected]
    grammar: Grammar  # loaded with the song list, for SpeechUnderstander
    grammar_path: Path  # bench/data/dev_commands, for the listener
    lists_dir: Path  # the temporary folder with lists/songs.txt

    @property
    def commands(self) -> list[Clip]:
        return [c for c in self.clips if self.truths[c.utt].kind == "command"]

    def of_kind(self, kind: str) -> list[Clip]:
        return [c for c in self.clips if self.truths[c.utt].kind == kind]


def dev_set(lists_dir: Path) -> DevSet:
    """The dev clips, what each should give (bench_understand.expected) and the test grammar;
    the song list is written into ``lists_dir``, which must outlive the listeners."""
    clips = dev_clips()
    grammar = build(lists_dir, clips)
    temperature = grammar.slots["temperature"].slot
    assert isinstance(temperature, RangeSlot)
    numbers = {text: int(value) for text, value in temperature.forms()}
    start = news_start(clips)
    truths = {c.utt: expected(c, numbers, start, i) for i, c in enumerate(clips)}
    return DevSet(clips, truths, grammar, GRAMMAR, lists_dir)


def truth_key(truth: Expected) -> tuple[str, tuple[tuple[str, object], ...]]:
    return truth.intent, tuple(sorted(truth.slots))


def event_key(event: ListenerEvent) -> tuple[str, tuple[tuple[str, object], ...]]:
    slots = event.data.get("slots") or {}
    assert isinstance(slots, dict)
    return f"{event.data['domain']}.{event.data['intent']}", tuple(sorted(slots.items()))


# ---- ground truth: where speech really ends -----------------------------------------------
def frame_energies(samples: Samples) -> np.ndarray:
    count = len(samples) // FRAME
    frames = np.asarray(samples[: count * FRAME], dtype=np.float64).reshape(count, FRAME)
    return np.asarray(10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12))


def last_speech(samples: Samples) -> float:
    """End (seconds) of the last run of at least ``MIN_RUN`` consecutive 10 ms frames whose
    energy is within ``BELOW_PEAK_DB`` of the clip's loudest frame *and* at least
    ``ABOVE_FLOOR_DB`` above its noise floor (the 10th-percentile frame energy).

    The dev recordings' background sits only 25–35 dB under the loudest frame and has short
    bursts (breaths, clicks at the end of a recording) up to 15 dB under it, so the 35 dB rule
    alone puts the last speech at the very end of every clip; the floor term and the run length
    keep noise out. Short decaying frames after the last run are left out (the truth errs early,
    which makes latency look longer, not shorter)."""
    energy = frame_energies(samples)
    threshold = max(float(energy.max()) - BELOW_PEAK_DB,
                    float(np.percentile(energy, FLOOR_PERCENTILE)) + ABOVE_FLOOR_DB)
    above = (energy >= threshold).astype(np.int64)
    runs = np.nonzero(np.convolve(above, np.ones(MIN_RUN, np.int64), "valid") == MIN_RUN)[0]
    last = int(runs[-1]) + MIN_RUN if len(runs) else int(np.nonzero(above)[0][-1]) + 1
    return last * FRAME / SAMPLE_RATE


def last_speech_peak_only(samples: Samples) -> float:
    """The brief's rule alone: end of the last 10 ms frame within ``BELOW_PEAK_DB`` of the
    loudest (on these recordings, the end of the clip or nearly)."""
    energy = frame_energies(samples)
    loud = np.nonzero(energy >= float(energy.max()) - BELOW_PEAK_DB)[0]
    return float(loud[-1] + 1) * FRAME / SAMPLE_RATE


def definition() -> str:
    return (f"true last speech = end of the clean clip's last run of ≥ {MIN_RUN} consecutive 10 ms "
            f"frames with energy ≥ max(loudest frame − {BELOW_PEAK_DB:g} dB, noise floor + "
            f"{ABOVE_FLOOR_DB:g} dB), floor = the clip's {FLOOR_PERCENTILE:g}th-percentile frame "
            "(the 35 dB rule alone reaches the recordings' background: end of clip for 80/80)")


# ---- audio ----------------------------------------------------------------------------------
def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(SAMPLE_RATE * seconds), dtype=np.float32)


def espeak(text: str, level: float = 0.1) -> np.ndarray:
    """``text`` said by espeak-ng's Mandarin voice (cmn-latn-pinyin), 16 kHz, peak at ``level``
    (the dev speaker's clips peak at about 0.1)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(out), "--", text],
                       check=True, capture_output=True, timeout=30)
        samples = load_audio(out)
    return (samples / max(float(np.abs(samples).max()), 1e-6) * level).astype(np.float32)


def with_noise(samples: np.ndarray, dbfs: float | None, seed: int) -> np.ndarray:
    """White noise of RMS ``dbfs`` added over everything (None: unchanged)."""
    if dbfs is None:
        return samples
    noise = np.random.default_rng(seed).standard_normal(len(samples)) * 10 ** (dbfs / 20)
    return np.asarray(samples + noise, dtype=np.float32)


# ---- running the listener ------------------------------------------------------------------
class TimedSource(FileSource):
    """A FileSource that notes, for every chunk, its end (audio time) and the wall-clock moment
    (``time.perf_counter``) it was handed to the listener; real-time replay runs on the same
    clock, and ``wall_start`` is the wall time of audio time 0."""

    def __init__(self, samples: Samples, chunk: int = 512, fast: bool = True) -> None:
        super().__init__("bench audio", chunk, fast=fast, samples=samples,
                         clock=time.perf_counter)
        self.handouts: list[tuple[float, float]] = []  # (chunk end in audio s, wall s)
        self.wall_start = float("nan")

    def open(self) -> None:
        super().open()
        self.wall_start = self._started

    def read(self, timeout: float) -> AudioChunk | None:
        chunk = super().read(timeout)
        if chunk is not None:
            self.handouts.append((chunk.timestamp + chunk.seconds, time.perf_counter()))
        return chunk


@dataclass
class Run:
    events: list[tuple[ListenerEvent, float]] = field(default_factory=list)  # (event, wall)
    source: TimedSource | None = None
    final_state: str = ""

    def of(self, kind: str) -> list[ListenerEvent]:
        return [e for e, _ in self.events if e.kind == kind]

    def first(self, kind: str) -> tuple[ListenerEvent, float] | None:
        return next(((e, w) for e, w in self.events if e.kind == kind), None)


def assemble(options: ListenerOptions, run: Run, source: FileSource, recognizer: Recognizer,
             to_hanzi: ToHanzi) -> Assembled:
    def on_event(event: ListenerEvent) -> None:
        run.events.append((event, time.perf_counter()))

    return build_listener(options, on_event, recognizer=recognizer, to_hanzi=to_hanzi,
                          source=source)


def run_listener(samples: np.ndarray, options: ListenerOptions, recognizer: Recognizer,
                 to_hanzi: ToHanzi, *, fast: bool = True, press: bool = False,
                 chunk: int = 512,
                 configure: Callable[[ListenerConfig], ListenerConfig] | None = None) -> Run:
    """The real listener over ``samples`` (one run); ``press`` presses push-to-talk first;
    ``configure`` changes the assembled listener's configuration before it runs (what-if rows;
    the endpointing settings are read when push-to-talk arms the segmenter)."""
    run = Run()
    source = TimedSource(samples, chunk, fast=fast)
    run.source = source
    assembled = assemble(options, run, source, recognizer, to_hanzi)
    if configure is not None:
        assembled.listener.config = configure(assembled.listener.config)
    if press:
        assembled.listener.press()
    assembled.listener.run()
    run.final_state = assembled.listener.state.value
    return run


def fast_latency(run: Run, event_wall: float, t_true: float) -> tuple[float, float]:
    """Latency of an event seen in a fast run, as a real-time run would have seen it, and its
    processing part. Chunk i becomes available when its last sample has arrived (its end, in
    audio seconds from the start); the listener starts on it at max(available, when it finished
    the previous chunk), and spends on it what the fast run measured between handing it out and
    handing out the next one. The event comes that long after the start of processing of the
    chunk it arose in as it did in the fast run. Returns (latency, processing part), seconds."""
    assert run.source is not None
    handouts = run.source.handouts
    free_at = 0.0
    for index, (end, wall) in enumerate(handouts):
        start = max(end, free_at)
        following = handouts[index + 1][1] if index + 1 < len(handouts) else float("inf")
        if event_wall < following:  # the event arose while this chunk was being processed
            return start + (event_wall - wall) - t_true, (start - end) + (event_wall - wall)
        free_at = start + (following - wall)
    raise ValueError("the event came after the last chunk")


# the test grammar's intents as the default grammar names them; its bare phone numbers are not
# commands there (the default grammar wants 打给/拨打 before a number)
DEFAULT_INTENTS = {"climate.set_temperature": "home.set_temperature",
                   "climate.warmer": "home.temperature_up",
                   "climate.cooler": "home.temperature_down",
                   "music.play": "media.play_song"}


def default_dev_set(folder: Path, items: int) -> DevSet:
    """The dev clips against a copy of the default grammar (resources/grammar/zh-CN) whose
    songs list also holds the dev song titles, and — with ``items`` — that many generated
    contacts and song titles more (bench/bench_compile.py's generator)."""
    import shutil

    from asr import settings
    from bench.bench_compile import generated
    from bench.bench_understand import song_titles
    from intents.grammar import load_grammar

    clips = dev_clips()
    grammar_dir = folder / "grammar"
    shutil.copytree(settings.resource_path("grammar/zh-CN"), grammar_dir)
    lists = grammar_dir / "lists"
    extra = {"songs": song_titles(clips) + (generated("songs", items, 1) if items else []),
             "contacts": generated("contacts", items, 0) if items else []}
    for name, values in extra.items():
        path = lists / f"{name}.txt"
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n"
                        + "".join(f"{v}\n" for v in values), encoding="utf-8")
    grammar = load_grammar(grammar_dir, lists)
    temperature = grammar.slots["temperature"].slot
    assert isinstance(temperature, RangeSlot)
    numbers = {text: int(value) for text, value in temperature.forms() if float(value).is_integer()}
    start = news_start(clips)
    truths = {}
    for index, clip in enumerate(clips):
        truth = expected(clip, numbers, start, index)
        if truth.kind == "command":
            intent = DEFAULT_INTENTS.get(truth.intent)
            truth = Expected("command", intent, truth.slots) if intent else Expected("names")
        truths[clip.utt] = truth
    return DevSet(clips, truths, grammar, grammar_dir, lists)
