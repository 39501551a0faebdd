"""Latency through a real microphone path: PortAudio's ALSA `pulse` device recording a private
PulseAudio server's pipe source (tests/pulse.py), fed in real time with the dev commands.

Last speech sample → intent event, grammar-aware endpointing vs a fixed 0.7 s hangover, one
listener each, the same clips interleaved. The wall time of a clip's true last speech sample is
when the virtual microphone's writer handed it to the pipe (its paced 20 ms blocks), so the
figures include PulseAudio's and PortAudio's buffering, as a real microphone's would.
Usage: .venv/bin/python bench/bench_listener_pulse.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pulse import PulseServer, VirtualMic  # noqa: E402

from app.listener.assemble import ListenerOptions, build_listener  # noqa: E402
from app.listener.events import ListenerEvent  # noqa: E402
from app.listener.machine import MachineConfig  # noqa: E402
from app.listener.sources import MicrophoneSource  # noqa: E402
from asr.audio import load_audio  # noqa: E402
from asr.recognizer import Recognizer  # noqa: E402
from bench.listener_common import dev_set, event_key, last_speech, truth_key  # noqa: E402
from intents.speech import load_to_hanzi  # noqa: E402

MODES = {"grammar-aware": None, "fixed 0.7 s": 0.7}


class Timed:
    def __init__(self) -> None:
        self.events: list[tuple[float, ListenerEvent]] = []
        self.cond = threading.Condition()

    def add(self, event: ListenerEvent) -> None:
        with self.cond:
            self.events.append((time.monotonic(), event))
            self.cond.notify_all()

    def wait_decided(self, after: int, timeout: float) -> tuple[float, ListenerEvent] | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for wall, event in self.events[after:]:
                    if event.kind in ("intent", "rejected"):
                        return wall, event
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=20, help="commands per endpointing")
    args = parser.parse_args()
    recognizer, to_hanzi = Recognizer.load(), load_to_hanzi()
    lists = Path(tempfile.mkdtemp())
    dev = dev_set(lists)
    clips = dev.commands[:: max(1, len(dev.commands) // args.limit)][: args.limit]
    results: dict[str, list[tuple[float, bool, str]]] = {m: [] for m in MODES}
    with PulseServer() as server, VirtualMic(server) as mic:
        for mode, hangover in MODES.items():
            timed = Timed()
            options = ListenerOptions(machine=MachineConfig(hold=False), speak=False,
                                      grammar=dev.grammar_path, lists=dev.lists_dir,
                                      hangover=hangover)
            built = build_listener(options, timed.add, recognizer=recognizer,
                                   to_hanzi=to_hanzi, source=MicrophoneSource("pulse"))
            worker = threading.Thread(target=built.listener.run, daemon=True)
            worker.start()
            time.sleep(1.5)
            for clip in clips:
                samples = load_audio(clip.path)
                true_end = last_speech(samples)
                mark = len(timed.events)
                built.listener.press()
                mic.wait_played(10)
                started = time.monotonic() + 0.02  # the writer's next 20 ms block
                mic.play(np.concatenate([samples, np.zeros(24000, np.float32)]))
                found = timed.wait_decided(mark, 15)
                mic.wait_played(10)
                if found is None:
                    results[mode].append((float("nan"), False, clip.utt))
                    continue
                wall, event = found
                right = event.kind == "intent" and event_key(event) == truth_key(
                    dev.truths[clip.utt])
                results[mode].append((wall - (started + true_end), right, clip.utt))
                time.sleep(0.3)
            built.listener.stop()
            worker.join(5)
    print(f"== Latency through PulseAudio → PortAudio (`pulse` device), {len(clips)} dev "
          "commands each, push-to-talk toggle, real time")
    print("   endpointing     right   latency p50 / p95 / max ms (commands understood right)")
    for mode, rows in results.items():
        values = np.array([lat for lat, ok, _ in rows if ok]) * 1000
        wrong = [utt for _, ok, utt in rows if not ok]
        print(f"   {mode:14s} {len(rows) - len(wrong):3d}/{len(rows):<3d}  "
              f"{np.percentile(values, 50):.0f} / {np.percentile(values, 95):.0f} / "
              f"{values.max():.0f}   wrong or missing: {wrong}")


if __name__ == "__main__":
    main()
