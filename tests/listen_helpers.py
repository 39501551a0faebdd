"""Running the real listener over audio in tests: the dev command grammar, a file source, the
events it emits, and wake phrases rendered by espeak-ng (a voice that is not the dev speaker)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.listener.assemble import ListenerOptions, build_listener
from app.listener.events import ListenerEvent
from app.listener.machine import MachineConfig, Mode
from app.listener.runtime import Decide, Listener, ListenerConfig, Voice
from app.listener.sources import FileSource
from asr.audio import Samples, load_audio
from asr.recognizer import Recognizer
from intents.speech import ToHanzi

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ROOT / "bench" / "data" / "dev_commands" / "commands.yaml"
SONG = re.compile(r"^(?:想听|来一首)歌曲(.+)$")


def write_dev_grammar(folder: Path, dev_texts: dict[str, str]) -> Path:
    """The benchmark's command grammar with its song list written from the dev transcripts."""
    shutil.copy(COMMANDS, folder / "commands.yaml")
    titles = dict.fromkeys(m[1] for t in dev_texts.values() if (m := SONG.match(t.strip())))
    (folder / "lists").mkdir(exist_ok=True)
    (folder / "lists" / "songs.txt").write_text("\n".join(titles) + "\n", encoding="utf-8")
    return folder


def silence(seconds: float) -> Samples:
    return np.zeros(int(16000 * seconds), dtype=np.float32)


def espeak(text: str, level: float = 0.3) -> Samples:
    """``text`` said by espeak-ng's Mandarin voice, 16 kHz, peak at ``level``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(out), "--", text],
                       check=True, capture_output=True, timeout=30)
        samples = load_audio(out)
    return (samples / max(float(np.abs(samples).max()), 1e-6) * level).astype(np.float32)


def listen(samples: Samples, grammar: Path, recognizer: Recognizer, to_hanzi: ToHanzi, *,
           mode: str = "ptt", wake: list[str] | None = None, chunk: int = 512,
           hangover: float | None = None, decide: Decide | None = None,
           on_lapsed: Callable[[], None] | None = None, voice: Voice | None = None,
           setup: Callable[[Listener], None] | None = None,
           config: Callable[[ListenerConfig], ListenerConfig] | None = None,
           limit: float = 120.0, **machine: object) -> list[ListenerEvent]:
    """Run the listener over ``samples`` as a fast replay (in audio time); returns its events.
    In push-to-talk mode the whole audio is one press. ``decide`` stands for the assistant;
    ``on_lapsed`` is told when an answer window closes unanswered; ``voice`` speaks the
    replies; ``setup`` sees the listener before it runs; ``config`` changes its run-time
    settings. A listener still running after ``limit`` seconds is stopped (a stuck one fails
    the test instead of hanging it)."""
    events: list[ListenerEvent] = []
    machine_config = replace(MachineConfig(mode=Mode(mode), hold=True), **machine)  # type: ignore[arg-type]
    options = ListenerOptions(machine=machine_config, wake=wake or [], speak=False,
                              grammar=grammar, hangover=hangover)
    source = FileSource("test audio", chunk, fast=True, samples=samples)
    assembled = build_listener(options, events.append, recognizer=recognizer,
                               to_hanzi=to_hanzi, source=source, voice=voice)
    listener = assembled.listener
    if config is not None:
        listener.config = config(listener.config)
    listener.decide = decide
    listener.on_answer_lapsed = on_lapsed
    if setup is not None:
        setup(listener)
    if mode == "ptt":
        listener.press()
    watchdog = threading.Timer(limit, listener.stop)
    watchdog.start()
    try:
        listener.run()
    finally:
        watchdog.cancel()
    return events


def intents_of(events: list[ListenerEvent]) -> list[tuple[str, dict[str, object]]]:
    return [(f"{e.data['domain']}.{e.data['intent']}", dict(e.data["slots"]))  # type: ignore[call-overload]
            for e in events if e.kind == "intent"]


def kinds(events: list[ListenerEvent]) -> list[str]:
    return [e.kind for e in events]


def dev_wake_phrase(recognizer: Recognizer, clip_path: Path) -> Samples:
    """The dev speaker saying 想听歌曲: the start of a 想听歌曲… clip, cut where the spotter
    finds the phrase's end. A real voice as wake phrase (espeak-ng's robotic one is found only
    about four times in five, too unreliable for a test that must not flake)."""
    from asr.kws import Keyword, KeywordSpotter, spot_samples

    samples = load_audio(clip_path)
    spotter = KeywordSpotter(recognizer.model, [Keyword.from_text("想听歌曲", recognizer.model)])
    found = spot_samples(spotter, samples)
    if not found:
        raise AssertionError(f"{clip_path}: 想听歌曲 not found in the dev clip")
    return samples[: int((found[0].end + 0.08) * 16000)]
