"""Listener benchmark (issue 7 §8): the real listener loop (app/listener) over dev audio.

Parts (``--parts``, default ``latency,wake``; ``soak`` runs the long wake-mode soak):

latency  Last speech sample → intent event, grammar-aware endpointing (the default) beside a
         fixed 0.7 s hangover, interleaved clip by clip, on the 80 dev commands (transcript
         patterns of bench/bench_understand.py, grammar bench/data/dev_commands with the song
         list written from the transcripts). Each clip is padded with 0.5 s of silence before and
         2.5 s after (``--noise-dbfs`` adds white noise over all of it) and run in push-to-talk
         *toggle* mode, pressed at the start, so the endpointer alone ends the utterance.
         (a) fast: FileSource(fast=True); the wall time each chunk was handed out and the intent
         event arrived are recorded, and a real-time run is simulated from them (a chunk is
         available once its last sample has arrived; processing queues behind the previous
         chunk): latency = chunk end − true last speech + queueing + processing until the event.
         (b) real time: FileSource(fast=False) on a subset (``--realtime-limit``): latency = wall
         time of the intent event − (wall time of audio 0 + true last speech).
         Also: accuracy (intent and every slot), commands cut off early (wrong or missing with
         grammar-aware endpointing while the fixed hangover got them right), and utterances that
         ended before the true last speech sample.
         ``--what-if S`` adds a row with non-default endpointing (decide after S s of silence, a
         complete command ends then), built through the same listener.
wake     Wake + command accuracy: ``--wake-lead`` (1 s) of silence, espeak-ng's 你好小灵, 0.1 s,
         the command clip and 2 s, in wake mode (fast), against SpeechUnderstander.understand on
         the clip alone; also whether the first utterance after the wake was the command.
soak     ``--soak-minutes`` (default 30) of wake mode on one continuous stream: dev news sentences,
         low-noise silence, white and babble noise, and about one wake+command pair a minute, fed
         fast in 512-sample chunks. CPU (process time per audio second, overall and while
         idle-listening), resident memory and the caches that grow (decoder rows, pinyin→Hanzi LM
         memo), overflow events, false wakes per hour on the non-wake material, wake+command
         accuracy, time per state and the final state.

Usage: .venv/bin/python bench/bench_listener.py [--parts latency,wake,soak] [--limit N]
       [--realtime-limit 30] [--noise-dbfs DB] [--what-if S] [--wake PHRASE[:S]]
       [--wake-lead S] [--soak-minutes 30] [--warmup-minutes 2] [--seed 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.listener.assemble import ListenerOptions, parse_wake
from app.listener.capture import EndpointPolicy
from app.listener.machine import MachineConfig, Mode, State
from app.listener.runtime import ListenerConfig
from app.listener.sources import FileSource
from asr.audio import AudioChunk, load_audio
from asr.recognizer import Recognizer
from bench.bench_understand import song_titles
from bench.common import rss_mb
from bench.listener_common import (
    DevSet,
    Run,
    assemble,
    default_dev_set,
    definition,
    dev_set,
    espeak,
    event_key,
    fast_latency,
    last_speech,
    last_speech_peak_only,
    run_listener,
    silence,
    truth_key,
    with_noise,
)
from bench.noise import babble
from intents.speech import SpeechUnderstander, ToHanzi, load_to_hanzi

WAKE = "你好小灵"
LEAD, TAIL = 0.5, 2.5  # seconds of silence around each command (latency part)
MODES = {"grammar-aware": None, "fixed 0.7 s": 0.7}  # ListenerOptions.hangover


def options_for(dev: DevSet, **kwargs: Any) -> ListenerOptions:
    return ListenerOptions(speak=False, grammar=dev.grammar_path, lists=dev.lists_dir, **kwargs)


def ms(values: list[float]) -> str:
    if not values:
        return "—"
    a = np.array(values) * 1000
    return f"{np.percentile(a, 50):.0f} / {np.percentile(a, 95):.0f} / {a.max():.0f}"


# ---- part 1: latency -------------------------------------------------------------------------
@dataclass
class LatencyRecord:
    utt: str
    mode: str
    clock: str  # "fast" or "realtime"
    right: bool
    got: str  # "intent", "rejected" or "none"
    t_true: float  # true last speech, audio s
    t_true35: float  # the 35-dB-below-peak rule alone (for comparison)
    t_intent: float = math.nan  # the intent event's audio time
    latency: float = math.nan
    processing: float = math.nan  # fast: queueing + processing part of the latency
    vad_last: float = math.nan  # the segmenter's last speech (speech_end.last_speech)
    waited: float = math.nan  # speech_end t − its last_speech: the silence the endpointer waited
    ends: list[tuple[float, float, str]] = field(default_factory=list)  # every speech_end

    @property
    def ended_early(self) -> bool:
        return any(t < self.t_true for t, _, _ in self.ends)


def latency_record(run: Run, utt: str, mode: str, clock: str, truth: Any,
                   t_true: float, t_true35: float) -> LatencyRecord:
    intent = run.first("intent")
    rejected = run.first("rejected")
    got = "intent" if intent else "rejected" if rejected else "none"
    right = intent is not None and event_key(intent[0]) == truth_key(truth)
    ends = [(e.t, float(e.data["last_speech"]), str(e.data["reason"]))  # type: ignore[arg-type]
            for e in run.of("speech_end")]
    record = LatencyRecord(utt, mode, clock, right, got, t_true, t_true35, ends=ends)
    if ends:
        record.vad_last = ends[0][1]
        record.waited = ends[0][0] - ends[0][1]
    if intent is not None:
        event, wall = intent
        record.t_intent = event.t
        if clock == "fast":
            record.latency, record.processing = fast_latency(run, wall, t_true)
        else:
            assert run.source is not None
            record.latency = wall - (run.source.wall_start + t_true)
    return record


def latency_part(dev: DevSet, recognizer: Recognizer, to_hanzi: ToHanzi,
                 args: argparse.Namespace) -> dict[str, Any]:
    commands = dev.commands[: args.limit]
    step = max(1, len(commands) // max(args.realtime_limit, 1))
    realtime = {c.utt for c in commands[::step][: args.realtime_limit]}
    records: list[LatencyRecord] = []
    modes: dict[str, float | None] = dict(MODES)
    if args.what_if is not None:
        modes[what_if_name(args.what_if)] = None
    # the app keeps one understander across utterances; each run below assembles its own
    # listener, and holding one here lets them share the grammar's graph and what the search
    # learnt about it, as in the app (the graph is shared by key, intents/compile.py)
    held = SpeechUnderstander(recognizer, dev.grammar, to_hanzi=to_hanzi)
    print(f"   grammar graph: {held.graph.num_states} states, {held.graph.num_arcs} arcs")
    began = time.perf_counter()
    for index, clip in enumerate(commands):
        clean = load_audio(clip.path)
        t_true = LEAD + last_speech(clean)
        t_true35 = LEAD + last_speech_peak_only(clean)
        audio = with_noise(np.concatenate([silence(LEAD), clean, silence(TAIL)]),
                           args.noise_dbfs, index)
        truth = dev.truths[clip.utt]
        clocks = ["fast", "realtime"] if clip.utt in realtime else ["fast"]
        for clock in clocks:
            for mode, hangover in modes.items():  # interleaved: machine noise hits both
                options = options_for(dev, machine=MachineConfig(hold=False), hangover=hangover)
                what_if = mode not in MODES
                if what_if and clock == "realtime":
                    continue
                configure = partial(what_if_config, args.what_if) if what_if else None
                run = run_listener(audio, options, recognizer, to_hanzi, fast=clock == "fast",
                                   press=True, configure=configure)
                records.append(latency_record(run, clip.utt, mode, clock, truth, t_true,
                                              t_true35))
        if (index + 1) % 10 == 0:
            print(f"  … {index + 1}/{len(commands)} clips, {time.perf_counter() - began:.0f} s",
                  file=sys.stderr)
    return report_latency(records, list(modes), len(commands), len(realtime), args.noise_dbfs)


def what_if_name(seconds: float) -> str:
    return f"what-if {seconds:g} s"


def what_if_config(seconds: float, config: ListenerConfig) -> ListenerConfig:
    """Not the shipped defaults: the grammar is asked after ``seconds`` of silence and a
    complete command ends right then (EndpointConfig.decide_after = EndpointPolicy.done)."""
    return replace(config, endpoint=replace(config.endpoint, decide_after=seconds),
                   policy=replace(config.policy, done=seconds))


def report_latency(records: list[LatencyRecord], modes: list[str], clips: int, realtime: int,
                   noise: float | None) -> dict[str, Any]:
    print(f"\n== Latency: last speech sample → intent event ({clips} dev commands, push-to-talk "
          f"toggle, {LEAD:g} s silence before, {TAIL:g} s after"
          + (f", white noise {noise:g} dBFS" if noise is not None else ", digital silence")
          + ", 512-sample chunks, webrtcvad 2)")
    print(f"   {definition()}")
    print("   fast = FileSource(fast=True), real-time delivery simulated from the measured "
          "processing times; real time = FileSource(fast=False), wall clock")
    head = (f"   {'endpointing':14} {'clock':8} {'n':>3} {'accuracy':>13} "
            f"{'latency p50 / p95 / max ms':>27} {'of which processing':>20} "
            f"{'waited (VAD) p50/p95/max':>25} {'VAD end − true end':>20}")
    print(head)
    figures: dict[str, Any] = {}
    for clock in ("fast", "realtime"):
        for mode in modes:
            group = [r for r in records if r.mode == mode and r.clock == clock]
            if not group:
                continue
            lat = [r.latency for r in group if not math.isnan(r.latency)]
            proc = [r.processing for r in group if not math.isnan(r.processing)]
            waited = [r.waited for r in group if not math.isnan(r.waited)]
            trail = [r.vad_last - r.t_true for r in group if not math.isnan(r.vad_last)]
            right = sum(r.right for r in group)
            acc = f"{right}/{len(group)} {100 * right / len(group):.1f} %"
            print(f"   {mode:14} {clock:8} {len(lat):>3} {acc:>13} {ms(lat):>27} "
                  f"{ms(proc) if proc else '—':>20} {ms(waited):>25} {ms(trail):>20}")
            figures[f"{mode} {clock}"] = {
                "n": len(group), "right": right, "with_intent": len(lat),
                "latency_ms": [round(x * 1000, 1) for x in lat],
                "p50_ms": float(np.percentile(lat, 50) * 1000) if lat else None,
                "p95_ms": float(np.percentile(lat, 95) * 1000) if lat else None,
                "max_ms": float(max(lat) * 1000) if lat else None}
    for mode in modes:
        alt = [r.latency + r.t_true - r.t_true35 for r in records
               if r.mode == mode and r.clock == "fast" and not math.isnan(r.latency)]
        print(f"   {mode}, fast, against the 35 dB rule alone (the clip's end): p50 / p95 / max "
              f"{ms(alt)} ms")
    policy = EndpointPolicy()
    print("   latency = true last speech → intent; 'waited' = silence after the segmenter's last "
          f"speech frame when the utterance ended (grammar verdicts: done {policy.done:g} s, "
          f"may continue {policy.may_continue:g} s, not a command {policy.not_command:g} s, "
          f"incomplete {policy.incomplete:g} s)")
    fast = {(r.utt, r.mode): r for r in records if r.clock == "fast"}
    utts = list(dict.fromkeys(r.utt for r in records))
    fixed = "fixed 0.7 s"
    cuts = {}
    for mode in modes:
        if mode == fixed:
            continue
        cut = [u for u in utts if not fast[(u, mode)].right and fast[(u, fixed)].right]
        gained = [u for u in utts if fast[(u, mode)].right and not fast[(u, fixed)].right]
        cuts[mode] = cut
        print(f"   {mode}: cut off early (wrong or missing, right with the fixed 0.7 s "
              f"hangover): {len(cut)} {cut}; the reverse: {len(gained)} {gained}")
    for mode in modes:
        early = [(r.utt, r.clock, [round(e[0], 2) for e in r.ends], round(r.t_true, 2))
                 for r in records if r.mode == mode and r.ended_early]
        split = [r.utt for r in records if r.mode == mode and len(r.ends) > 1]
        wrong = [(r.utt, r.got) for r in records if r.mode == mode and r.clock == "fast"
                 and not r.right]
        print(f"   {mode}: utterances ended before the true last speech sample: {len(early)} "
              f"{early}; more than one utterance: {len(split)}; wrong or missing (fast): "
              f"{len(wrong)} {wrong}")
        verdicts = Counter(f"{r.waited:.2f}" for r in records
                           if r.mode == mode and r.clock == "fast" and not math.isnan(r.waited))
        print(f"     silence waited (s): {dict(sorted(verdicts.items()))}")
    slow = sorted((r for r in records if r.mode == modes[0] and r.clock == "fast"
                   and not math.isnan(r.latency)), key=lambda r: -r.latency)[:5]
    print("   slowest grammar-aware (fast): " + ", ".join(
        f"{r.utt} {r.latency * 1000:.0f} ms (waited {r.waited:.2f} s)" for r in slow))
    figures["cut_off_early"] = cuts
    figures["ended_early"] = {m: sum(r.ended_early for r in records if r.mode == m)
                              for m in modes}
    figures["realtime_clips"] = realtime
    figures["records"] = [asdict(r) for r in records]
    return figures


# ---- part 2: wake + command --------------------------------------------------------------
def wake_part(dev: DevSet, recognizer: Recognizer, to_hanzi: ToHanzi,
              args: argparse.Namespace) -> dict[str, Any]:
    commands = dev.commands[: args.limit]
    wake = espeak(args.wake.split(":")[0])
    understander = SpeechUnderstander(recognizer, dev.grammar, to_hanzi=to_hanzi)
    voiced = args.wake_lead + last_speech(wake)  # where the rendered phrase's voice ends
    counts: Counter[str] = Counter()
    differ = []
    offsets = []
    for clip in commands:
        clean = load_audio(clip.path)
        truth = truth_key(dev.truths[clip.utt])
        result = understander.understand(clean)
        said = None if result.rejected else (f"{result.domain}.{result.intent}",
                                             tuple(sorted(result.slots.items())))
        audio = np.concatenate([silence(args.wake_lead), wake, silence(0.1), clean,
                                silence(2.0)])
        options = options_for(dev, machine=MachineConfig(mode=Mode.WAKE), wake=[args.wake])
        run = run_listener(audio, options, recognizer, to_hanzi, fast=True)
        wakes = run.of("wake")
        intents = run.of("intent")
        heard = event_key(intents[0]) if intents else None
        decisions = sorted(run.of("intent") + run.of("rejected"), key=lambda e: e.t)
        counts["first utterance right"] += bool(decisions) and (
            decisions[0].kind == "intent" and event_key(decisions[0]) == truth)
        first_intent = next((i for i, e in enumerate(decisions) if e.kind == "intent"),
                            len(decisions) - 1)  # no intent: the last rejection is the command's
        counts["rejected fragments"] += sum(e.kind == "rejected" for e in decisions[:first_intent])
        offsets += [float(w.data["end"]) - voiced for w in wakes[:1]]  # type: ignore[arg-type]
        counts["understand right"] += said == truth
        counts["understand wrong"] += said is not None and said != truth
        counts["understand rejected"] += said is None
        counts["listener right"] += heard == truth
        counts["listener wrong"] += heard is not None and heard != truth
        counts["listener no intent"] += heard is None
        counts["missed wake"] += not wakes
        counts["extra wakes"] += max(0, len(wakes) - 1)
        counts["same as understand"] += heard == said
        if heard != said or not wakes:
            differ.append((clip.utt, clip.text, "understand", said, "listener", heard,
                           "wakes", [round(float(w.data["end"]), 2)  # type: ignore[arg-type]
                                     for w in wakes]))
    n = len(commands)
    print(f"\n== Wake + command through the listener ({n} dev commands; {args.wake_lead:g} s "
          f"silence + espeak-ng cmn-latn-pinyin '{WAKE}' (peak 0.1) + 0.1 s + clip + 2 s, wake "
          f"mode, --wake {args.wake} (sensitivity {parse_wake(args.wake)[1]:g}), fast) vs "
          "SpeechUnderstander.understand on the clip alone")
    print(f"   {'system':34} {'right':>7} {'wrong':>7} {'no intent':>10} {'missed wakes':>13}")
    print(f"   {'understand (clip alone)':34} {counts['understand right']:>7} "
          f"{counts['understand wrong']:>7} {counts['understand rejected']:>10} {'—':>13}")
    print(f"   {'listener (wake + command)':34} {counts['listener right']:>7} "
          f"{counts['listener wrong']:>7} {counts['listener no intent']:>10} "
          f"{counts['missed wake']:>13}")
    print(f"   same result clip by clip: {counts['same as understand']}/{n}; extra wakes: "
          f"{counts['extra wakes']}")
    print(f"   right on the first utterance after the wake: {counts['first utterance right']}/{n}; "
          f"'not understood' fragments before the command: {counts['rejected fragments']} (a "
          "rejection opens a follow-up window, so a command after a fragment is still heard)")
    if offsets:
        print(f"   wake detection end − end of the rendered phrase's voice: {ms(offsets)} ms "
              "(p50 / p95 / max; negative: the capture starts inside the phrase)")
    for item in differ:
        print(f"     differs: {item}")
    return {"counts": dict(counts), "n": n, "differ": [[str(x) for x in d] for d in differ]}


# ---- part 3: soak ---------------------------------------------------------------------------
@dataclass
class Segment:
    kind: str  # "news", "silence", "white", "babble", "pair"
    start: float
    end: float
    utt: str = ""
    wake_end: float = 0.0  # pair: where the rendered wake phrase ends
    command_start: float = 0.0
    truth: Any = None


def soak_stream(dev: DevSet, minutes: float, wake: np.ndarray, seed: int
                ) -> tuple[np.ndarray, list[Segment]]:
    rng = np.random.default_rng(seed)
    news = [load_audio(c.path) for c in dev.of_kind("news")]
    commands = dev.commands
    order = list(rng.permutation(len(commands)))
    floor = 10 ** (-65 / 20)  # "silence": a quiet room, -65 dBFS

    def quiet(seconds: float) -> np.ndarray:
        return (rng.standard_normal(round(seconds * 16000)) * floor).astype(np.float32)

    parts: list[np.ndarray] = []
    segments: list[Segment] = []
    total = minutes * 60.0
    position = 0.0
    next_pair = float(rng.uniform(20, 40))
    news_order = list(rng.permutation(len(news)))
    while position < total:
        if position >= next_pair:
            clip = commands[int(order.pop() if order else rng.integers(len(commands)))]
            command = load_audio(clip.path)
            lead = quiet(1.0)
            audio = np.concatenate([lead, wake, quiet(0.1), command, quiet(2.5)])
            start = position
            segments.append(Segment("pair", start, start + len(audio) / 16000, clip.utt,
                                    start + (len(lead) + len(wake)) / 16000,
                                    start + (len(lead) + len(wake) + 1600) / 16000,
                                    dev.truths[clip.utt]))
            next_pair = position + float(rng.uniform(40, 80))
        else:
            kind = str(rng.choice(["news", "silence", "white", "babble"],
                                  p=[0.45, 0.25, 0.15, 0.15]))
            utt = ""
            if kind == "news":
                if not news_order:
                    news_order = list(rng.permutation(len(news)))
                pick = int(news_order.pop())
                audio, utt = news[pick], dev.of_kind("news")[pick].utt
            elif kind == "silence":
                audio = quiet(float(rng.uniform(1, 6)))
            else:
                length = round(float(rng.uniform(2, 8)) * 16000)
                level = 10 ** (float(rng.uniform(-50, -35)) / 20)
                noise = (rng.standard_normal(length) if kind == "white"
                         else babble(news, length, int(rng.integers(1 << 30))))
                noise = noise / (np.sqrt(np.mean(noise**2)) + 1e-9) * level
                audio = np.asarray(noise, dtype=np.float32)
            segments.append(Segment(kind, position, position + len(audio) / 16000, utt))
        parts.append(audio)
        position = segments[-1].end
    return np.concatenate(parts).astype(np.float32), segments


@dataclass(frozen=True)
class Sample:
    t: float  # audio seconds
    rss: float  # MB
    cache: int  # rows in the model's decoder cache
    memo: int  # entries in the pinyin→Hanzi language model's memo (-1: none)


class SoakSource(FileSource):
    """A FileSource that charges the process time spent on each chunk to the kind of audio it
    was and to whether the listener was idle-listening (wake_listen before and after it), and
    samples resident memory and the caches every ``every`` seconds of audio."""

    def __init__(self, samples: np.ndarray, segments: list[Segment], every: float = 30.0,
                 chunk: int = 512) -> None:
        super().__init__("soak", chunk, fast=True, samples=samples)
        self.segments = segments
        self.starts = [s.start for s in segments]
        self.every = every
        self.listener: Any = None
        self.model: Any = None
        self.to_hanzi: Any = None
        self.cpu: defaultdict[tuple[str, bool], float] = defaultdict(float)
        self.seconds: defaultdict[tuple[str, bool], float] = defaultdict(float)
        self.log: list[Sample] = []
        self._pending: tuple[float, str, str, float] | None = None
        self._next_sample = 0.0

    def kind_at(self, t: float) -> str:
        return self.segments[max(0, bisect.bisect_right(self.starts, t) - 1)].kind

    def sample(self, t: float) -> None:
        cache = len(self.model._decoder_cache)  # the model's prediction-network row cache
        lm = getattr(getattr(self.to_hanzi, "__self__", None), "lm", None)
        memo = getattr(lm, "_memo", None)  # KenLMWords' (state, word) memo (asr/hanzi_lm.py)
        self.log.append(Sample(t, rss_mb(), cache, -1 if memo is None else len(memo)))

    def read(self, timeout: float) -> AudioChunk | None:
        now = time.process_time()
        state = self.listener.state.value
        if self._pending is not None:
            began, kind, before, seconds = self._pending
            idle = before == state == State.WAKE_LISTEN.value
            self.cpu[(kind, idle)] += now - began
            self.seconds[(kind, idle)] += seconds
            self._pending = None
        chunk = super().read(timeout)
        if chunk is not None:
            if chunk.timestamp >= self._next_sample:
                self.sample(chunk.timestamp)
                self._next_sample += self.every
            self._pending = (time.process_time(), self.kind_at(chunk.timestamp), state,
                             chunk.seconds)
        return chunk


PAIR_OUTCOMES = ("wake heard", "right, first utterance after the wake",
                 "right after a 'not understood' fragment",
                 "right without its wake (follow-up window of an earlier capture)",
                 "wrong or missing")


def pair_outcomes(pairs: list[Segment], events: list[Any]) -> tuple[Counter[str], list[Any]]:
    """For each planted wake+command pair: was the wake heard, and did the first utterance after
    it give the right intent (or a later one, after a 'not understood' fragment)?"""
    outcomes: Counter[str] = Counter()
    failed = []
    for p in pairs:
        wakes = [e for e in events if e.kind == "wake"
                 and p.start <= float(e.data["end"]) <= p.command_start + 0.5]
        decisions = [e for e in events if e.kind in ("intent", "rejected")
                     and p.start <= e.t <= p.end + 0.5]
        right = [e for e in decisions if e.kind == "intent" and event_key(e) == truth_key(p.truth)]
        outcomes["wake heard"] += bool(wakes)
        if right and decisions[0] is right[0] and wakes:
            outcomes["right, first utterance after the wake"] += 1
        elif right and wakes:
            outcomes["right after a 'not understood' fragment"] += 1
        elif right:
            outcomes["right without its wake (follow-up window of an earlier capture)"] += 1
        else:
            outcomes["wrong or missing"] += 1
            got = [(e.kind, e.data.get("text")) for e in decisions]
            failed.append((round(p.start, 1), p.utt, "wake" if wakes else "no wake", got))
    return outcomes, failed


def soak_part(dev: DevSet, recognizer: Recognizer, to_hanzi: ToHanzi,
              args: argparse.Namespace) -> dict[str, Any]:
    minutes = args.soak_minutes
    wake = espeak(args.wake.split(":")[0])
    samples, segments = soak_stream(dev, minutes, wake, args.seed)
    seconds = len(samples) / 16000
    source = SoakSource(samples, segments)
    run = Run()
    options = options_for(dev, machine=MachineConfig(mode=Mode.WAKE), wake=[args.wake])
    assembled = assemble(options, run, source, recognizer, to_hanzi)
    source.listener, source.model, source.to_hanzi = assembled.listener, recognizer.model, to_hanzi
    rss_start = rss_mb()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    assembled.listener.run()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    source.sample(seconds)
    final_state = assembled.listener.state.value

    pairs = [s for s in segments if s.kind == "pair"]
    events = [e for e, _ in run.events]
    outcomes, failed = pair_outcomes(pairs, events)

    def in_pair(t: float, slack: float = 0.0) -> Segment | None:
        return next((p for p in pairs if p.start - slack <= t <= p.end + slack), None)

    false_wakes = [e for e in events if e.kind == "wake"
                   and ((p := in_pair(float(e.data["end"]))) is None  # type: ignore[arg-type]
                        or float(e.data["end"]) > p.command_start + 0.5)]  # type: ignore[arg-type]
    false_intents = [e for e in events if e.kind == "intent" and in_pair(e.t, 0.5) is None]
    rejected = [e for e in events if e.kind == "rejected"]
    understander = SpeechUnderstander(recognizer, dev.grammar, to_hanzi=to_hanzi)
    paths = {c.utt: c.path for c in dev.commands}
    understood = 0
    for p in pairs:
        result = understander.understand(load_audio(paths[p.utt]))
        understood += (not result.rejected and (f"{result.domain}.{result.intent}",
                                                tuple(sorted(result.slots.items())))
                       == truth_key(p.truth))
    other_hours = (seconds - sum(p.end - p.start for p in pairs)) / 3600
    states = [(e.t, str(e.data["state"])) for e in events if e.kind == "state"]
    away: defaultdict[str, float] = defaultdict(float)
    longest, since = 0.0, None
    for (t, state), following in zip(states, [*states[1:], (seconds, "")], strict=True):
        away[state] += following[0] - t
        if state != State.WAKE_LISTEN.value and since is None:
            since = t
        elif state == State.WAKE_LISTEN.value and since is not None:
            longest = max(longest, t - since)
            since = None
    overflows = sum(int(e.data["count"]) for e in events if e.kind == "overflow")  # type: ignore[call-overload]
    errors = [e.data["message"] for e in events if e.kind == "error"]

    warm = args.warmup_minutes * 60
    log = source.log
    at_warm = next((s for s in log if s.t >= warm), log[-1])
    end = log[-1]
    kinds = Counter(s.kind for s in segments)
    durations: defaultdict[str, float] = defaultdict(float)
    for s in segments:
        durations[s.kind] += s.end - s.start
    print(f"\n== Soak: wake mode (--wake {args.wake}, sensitivity {parse_wake(args.wake)[1]:g}), "
          f"{seconds / 60:.1f} min of one continuous stream (seed {args.seed}), "
          f"FileSource(fast=True), 512-sample chunks; wall {wall:.0f} s")
    print("   material: " + ", ".join(f"{k} {kinds[k]} × ({durations[k] / 60:.1f} min)"
                                      for k in ("news", "silence", "white", "babble", "pair"))
          + "; pair = 1 s quiet + espeak-ng wake phrase + 0.1 s + dev command + 2.5 s quiet")
    print(f"   CPU overall: {100 * cpu / seconds:.2f} % of one core at real time "
          f"({cpu:.0f} s process time for {seconds:.0f} s of audio)")
    idle_cpu = sum(v for (_, idle), v in source.cpu.items() if idle)
    idle_s = sum(v for (_, idle), v in source.seconds.items() if idle)
    print(f"   CPU idle-listening (chunks in wake_listen before and after): "
          f"{100 * idle_cpu / idle_s:.2f} % over {idle_s / 60:.1f} min; by material: " + ", ".join(
              f"{k} {100 * source.cpu[(k, True)] / source.seconds[(k, True)]:.2f} %"
              for k in ("silence", "white", "babble", "news", "pair")
              if source.seconds[(k, True)] > 0))
    busy_cpu = sum(v for (_, idle), v in source.cpu.items() if not idle)
    busy_s = sum(v for (_, idle), v in source.seconds.items() if not idle)
    if busy_s:
        print(f"   CPU while capturing/deciding: {100 * busy_cpu / busy_s:.1f} % over "
              f"{busy_s / 60:.1f} min")
    print(f"   resident memory: start {rss_start:.1f} MB, after warm-up ({at_warm.t / 60:.1f} "
          f"min) {at_warm.rss:.1f} MB, end {end.rss:.1f} MB; growth after warm-up "
          f"{end.rss - at_warm.rss:+.1f} MB")
    print(f"   caches after warm-up → end: decoder rows {at_warm.cache} → {end.cache} (limit "
          f"{_cache_limit()}); pinyin→Hanzi LM memo entries {at_warm.memo} → {end.memo}")
    print("   every 5 min (MB, decoder rows, LM memo): " + "; ".join(
        f"{s.t / 60:.0f} min {s.rss:.1f} {s.cache} {s.memo}" for s in log
        if round(s.t) % 300 == 0 or s is end))
    print(f"   overflow events: {overflows} (a file source cannot overflow: this checks the "
          f"event path only); errors: {errors}")
    print(f"   wake+command pairs: {len(pairs)}: " + ", ".join(
        f"{k} {outcomes[k]}" for k in PAIR_OUTCOMES) + f"; understand on the same clips alone "
        f"{understood}/{len(pairs)}")
    print(f"     wrong or missing (pair start s, clip, wake, decisions): {failed}")
    print(f"   false wakes on {other_hours:.2f} h of non-wake material: {len(false_wakes)} "
          f"({len(false_wakes) / other_hours:.2f}/h) "
          + str([(round(e.t, 1), e.data.get("score"), source.kind_at(float(e.data["end"])))  # type: ignore[arg-type]
                 for e in false_wakes])
          + f"; intents outside the pairs: {len(false_intents)}; 'not understood' replies: "
          f"{len(rejected)}")
    per_state = sorted(away.items(), key=lambda kv: -kv[1])
    print(f"   final state: {final_state} "
          f"({'not stuck' if final_state == State.WAKE_LISTEN.value else 'STUCK'}); seconds per "
          "state: " + ", ".join(f"{k} {v:.0f}" for k, v in per_state)
          + f"; longest stretch outside wake_listen {longest:.1f} s")
    return {"minutes": seconds / 60, "cpu_percent": 100 * cpu / seconds,
            "idle_cpu_percent": 100 * idle_cpu / idle_s,
            "idle_by_kind": {f"{k} {idle}": 100 * v / source.seconds[(k, idle)]
                             for (k, idle), v in source.cpu.items()},
            "rss_start": rss_start, "rss_warm": at_warm.rss, "rss_end": end.rss,
            "log": [asdict(s) for s in log], "overflows": overflows, "pairs": len(pairs),
            "outcomes": dict(outcomes), "understood": understood,
            "false_wakes": len(false_wakes), "other_hours": other_hours,
            "false_intents": len(false_intents), "rejected": len(rejected),
            "final_state": final_state, "state_seconds": dict(away), "longest_away": longest,
            "wall": wall}


def _cache_limit() -> int:
    from asr.model import DECODER_CACHE_LIMIT

    return DECODER_CACHE_LIMIT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="latency,wake",
                        help="comma-separated: latency, wake, soak (default latency,wake)")
    parser.add_argument("--limit", type=int, help="first N dev commands (latency, wake)")
    parser.add_argument("--realtime-limit", type=int, default=30,
                        help="commands also run in real time (spread over the set; 0: none)")
    parser.add_argument("--noise-dbfs", type=float, default=None,
                        help="white noise of this RMS over the padded clips (default: none)")
    parser.add_argument("--what-if", type=float, metavar="S",
                        help="latency: also a row with decide_after = done hangover = S seconds "
                             "(not the shipped defaults; fast only)")
    parser.add_argument("--wake", default=WAKE, help="wake phrase[:sensitivity] (wake, soak)")
    parser.add_argument("--wake-lead", type=float, default=1.0,
                        help="seconds of silence before the wake phrase (wake part)")
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--default-grammar", action="store_true",
                        help="the default grammar (resources/grammar/zh-CN) with the dev song "
                             "titles instead of the test grammar; bare phone numbers are then "
                             "not commands")
    parser.add_argument("--list-items", type=int, default=0, metavar="N",
                        help="with --default-grammar: N generated contacts and N songs more")
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = set(parts) - {"latency", "wake", "soak"}
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}")
    recognizer = Recognizer.load(threads=1)
    to_hanzi = load_to_hanzi()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.default_grammar:
            dev = default_dev_set(Path(tmp), args.list_items)
            print(f"dev commands: {len(dev.commands)} of {len(dev.clips)} clips; the default "
                  f"grammar + {len(song_titles(dev.clips))} dev song titles + {args.list_items} "
                  "generated contacts and songs")
        else:
            dev = dev_set(Path(tmp))
            print(f"dev commands: {len(dev.commands)} of {len(dev.clips)} clips; grammar "
                  f"{dev.grammar_path} + {len(song_titles(dev.clips))} song titles")
        if "latency" in parts:
            figures["latency"] = latency_part(dev, recognizer, to_hanzi, args)
        if "wake" in parts:
            figures["wake"] = wake_part(dev, recognizer, to_hanzi, args)
        if "soak" in parts:
            figures["soak"] = soak_part(dev, recognizer, to_hanzi, args)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
