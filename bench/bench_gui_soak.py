"""GUI soak (issue 15): the real window for an hour with the microphone fed in real time.

    .venv/bin/python bench/bench_gui_soak.py                 # 3600 s (the target run)
    .venv/bin/python bench/bench_gui_soak.py --seconds 300   # a 5-minute check

`lingyin` (no arguments, unchanged) runs on a private desktop — Xvfb (key auto-repeat on), a
private session bus whose accessibility bus the window is read through, xdotool for the mouse
and keys — with a private PulseAudio server whose pipe-source microphone is fed in real time
(tests/pulse.py VirtualMic) and a null sink as its speaker; a fresh user (config, data, runtime
folders; the model installed with `lingyin models install --from $LINGYIN_SHARED/models`); the
wake-word mode with the wake phrase 想听歌曲. The harness is the person-level suite's
(tests/person/: desktop.py, atspi.py, lingyin_app.py, voices.py).

Every minute:

- a command: 想听歌曲 (the dev speaker, or espeak-ng every third minute), a pause of 0, 0.5 or
  1.5 s, and one of the dev speaker's five air-conditioner commands (W0001–W0005); its turn must
  reach the history within ``--stuck-after`` seconds with the right intent and slots, else it
  is counted as wrong or stuck (no reply);
- speech that is not a command (the dev set's news sentences) with room noise between, and 5 s
  of digital zero: any turn then is an unexpected one (a false wake), reported with its text;
- the level meter (read from the window) sampled while the speech plays;
- resident memory of the app process (psutil RSS) at each minute boundary;
- every ``--grammar-every`` seconds a grammar save through the editor: 编辑语法 clicked, a
  comment line typed at the end of the first file, 保存 clicked, until the editor reports the
  reload (its time is reported).

The app exiting is a crash: the exit code and the end of its log are reported and the app is
started again (the run goes on). The window's state label showing anything but 等待唤醒词 for
longer than ``--stuck-after`` at a minute boundary is a stuck state. At the end: counts, reply
latency (the end of the command's audio going into the microphone → the time its history
entry was made), and memory per minute with the growth
after the first five minutes (the target: ≤ 20 MB; for runs of 5 minutes or less the growth is
measured from the first minute and said so).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "person"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from atspi import A11y, A11yError  # noqa: E402
from desktop import Desktop  # noqa: E402
from lingyin_app import (  # noqa: E402
    EDITOR_TITLE,
    WAKE_LISTEN,
    Home,
    LingyinApp,
    lingyin_bin,
)
from pulse import NullSpeaker, PulseServer, VirtualMic  # noqa: E402
from voices import RATE, WAKE, Voices, silence  # noqa: E402

from asr import settings  # noqa: E402
from asr.audio import load_audio  # noqa: E402

ROOM_NOISE = 0.002
COMMANDS = [("W0001", ("home", "set_temperature", {"temperature": 29})),
            ("W0005", ("home", "temperature_up", {})),
            ("W0002", ("home", "set_temperature", {"temperature": 30})),
            ("W0003", ("home", "set_temperature", {"temperature": 31})),
            ("W0004", ("home", "set_temperature", {"temperature": 32}))]
PAUSES = (0.0, 0.5, 1.5)
DIGITS = set("零一二三四五六七八九幺")
MB = 1024 * 1024


@dataclass
class Tally:
    commands: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    stuck_states: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    saves: list[str] = field(default_factory=list)
    rss: list[tuple[int, float]] = field(default_factory=list)  # (minute, MB)
    levels: list[float] = field(default_factory=list)  # meter maximum per minute (0-100)


class Soak:
    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args = args
        self.root = root
        self.tally = Tally()
        self.desktop = Desktop(root / "desktop", screen=(1920, 1080))
        self.server = PulseServer()
        self.turns_seen = 0
        self.minute = 0
        self.rng = np.random.default_rng(15)
        self._meter: Any = None

    # ---- set-up ---------------------------------------------------------------------------
    def setup(self) -> None:
        shared = settings.shared_dir()
        data, cache = self.root / "install-data", self.root / "cache"
        env = Home(self.root / "installer", data / "models", cache, self.root).env()
        env["LINGYIN_DATA_DIR"] = str(data)
        done = subprocess.run([str(lingyin_bin()), "models", "install", "--from",
                               str(shared / "models")], env=env, capture_output=True, text=True,
                              timeout=900, check=False)
        if done.returncode != 0:
            raise SystemExit(f"lingyin models install failed: {done.stderr[-2000:]}")
        self.desktop.start()
        self.server.start()
        self.mic = VirtualMic(self.server, noise=ROOM_NOISE)
        self.speaker = NullSpeaker(self.server)
        self.a11y = A11y(self.desktop.bus_address)
        self.home = Home.create(self.root / "user", data / "models", cache)
        self.home.write_settings(mode="wake", wake_phrases=[WAKE])
        dev = shared / "audio" / "aishell-s0150"
        self.voices = Voices(dev, data / "models" / "zh-pinyin-zipformer-3.3M")
        self.news = news_clips(dev)
        self.app = self._start()

    def _start(self) -> LingyinApp:
        app = LingyinApp(self.home, self.desktop, self.a11y, self.root / "lingyin.log")
        app.start()
        app.states.wait(WAKE_LISTEN, 30)
        return app

    def close(self) -> None:
        for step in (self.app.terminate, self.mic.close, self.speaker.close, self.a11y.close,
                     self.server.stop, self.desktop.stop, self.home.remove_runtime):
            try:
                step()
            except Exception as exc:  # tear everything down whatever one step does
                print(f"closing: {exc}", file=sys.stderr)

    # ---- the run ----------------------------------------------------------------------------
    def run(self) -> None:
        minutes = max(1, math.ceil(self.args.seconds / 60))
        start = time.monotonic()
        self.sample_memory(0)
        for minute in range(minutes):
            self.minute = minute + 1
            boundary = start + 60.0 * (minute + 1)
            self.alive()
            self.command(minute)
            every = max(1, round(self.args.grammar_every / 60))
            if minute % every == every - 1:
                self.grammar_save(minute)
            self.speech_until(boundary - 12.0)
            self.mic.noise = 0.0  # digital zero, as a muted device gives
            self.quiet_until(boundary - 6.0)
            self.mic.noise = ROOM_NOISE
            self.quiet_until(boundary)
            self.alive()
            self.sample_memory(minute + 1)
            self.check_stuck_state()

    def alive(self) -> None:
        if self.app.alive:
            return
        code = self.app.process.returncode if self.app.process else None
        self.tally.crashes.append(f"minute {self.minute}: exit {code}: "
                                  f"{self.app.last_words()[:600]!r}")
        print(f"  CRASH at minute {self.minute} (exit {code}); starting again", flush=True)
        self.app.terminate()
        self.app = self._start()
        self.turns_seen = len(self.home.turns())

    def command(self, minute: int) -> None:
        utt, expected = COMMANDS[minute % len(COMMANDS)]
        pause = PAUSES[minute % len(PAUSES)]
        voice = "espeak" if minute % 3 == 2 else "dev"
        label = f"min {minute + 1}: {voice} wake + {pause:g} s + {utt}"
        audio = self.voices.wake_then(utt, pause, voice)
        self.tally.commands += 1
        self.mic.wait_played(30)  # nothing else queued: the command starts now
        spoken_end = time.time() + 0.3 + len(audio) / RATE  # epoch, as history.json keeps it
        self.mic.play(np.concatenate([silence(0.3), audio]))
        self.mic.wait_played(len(audio) / RATE + 20)
        deadline = time.monotonic() + self.args.stuck_after
        while time.monotonic() < deadline and self.app.alive:
            turns = self.home.turns()
            if len(turns) > self.turns_seen:
                new, self.turns_seen = turns[self.turns_seen:], len(turns)
                self.tally.latencies.append(float(new[0].get("time", 0.0)) - spoken_end)
                got = (new[0].get("domain"), new[0].get("intent"), new[0].get("slots"))
                if got == expected and len(new) == 1:
                    self.tally.right += 1
                else:
                    self.tally.wrong.append(f"{label}: {[self.brief(t) for t in new]}")
                break
            time.sleep(0.2)
        else:
            self.tally.stuck.append(f"{label}: no reply within {self.args.stuck_after:g} s "
                                    f"(window: {self.label()!r})")
        self.wait_label(WAKE_LISTEN, 15)

    def speech_until(self, until: float) -> None:
        """News sentences (not commands) with 1-2 s of room noise between; the meter read."""
        levels: list[float] = []
        while time.monotonic() + 8 < until:
            clip = self.news[int(self.rng.integers(len(self.news)))]
            self.mic.play(np.concatenate([clip, silence(float(self.rng.uniform(1, 2)))]))
            end = time.monotonic() + len(clip) / RATE + 2
            while time.monotonic() < min(end, until):
                levels.append(self.meter())
                time.sleep(0.5)
            self.mic.wait_played(30)
            self.note_unexpected("speech")
        self.tally.levels.append(max(levels, default=0.0))
        self.quiet_until(until)

    def quiet_until(self, until: float) -> None:
        while time.monotonic() < until:
            time.sleep(min(1.0, max(0.0, until - time.monotonic())))
        self.note_unexpected("silence")

    def note_unexpected(self, during: str) -> None:
        turns = self.home.turns()
        for turn in turns[self.turns_seen:]:
            self.tally.unexpected.append(f"min {self.minute} ({during}): {self.brief(turn)}")
        self.turns_seen = len(turns)

    def grammar_save(self, minute: int) -> None:
        """编辑语法 → the editor (moved beside the window) → a comment typed at the end of the
        first file → 保存 → until the editor says it reloaded."""
        started = time.monotonic()
        try:
            button = self.app.find(lambda n: n.role == "push button" and n.name == "编辑语法",
                                   "the 编辑语法 button")
            self.app.click(button)
            window = self.desktop.xdo.wait_window(EDITOR_TITLE, 20)
            self.desktop.xdo.run("windowmove", "--sync", str(window), "800", "0")

            def code() -> Any:
                frame = self.a11y.frame(EDITOR_TITLE)
                boxes = [] if frame is None else self.a11y.find_all(
                    frame, lambda n: n.role == "text" and n.on_screen and n.extents[0] >= 800)
                return max(boxes, key=lambda n: n.extents[2] * n.extents[3], default=None)

            self.app.click(self.a11y.wait_for("the editor's text", code, 20))
            self.desktop.xdo.key("ctrl+End")
            self.desktop.xdo.key("Return")
            self.desktop.xdo.type(f"# soak save {minute + 1}")
            save = self.app.find(lambda n: n.role == "push button" and n.name == "保存"
                                 and n.extents[0] >= 800, "保存", title=EDITOR_TITLE)
            self.app.click(save)

            def saved() -> Any:
                frame = self.a11y.frame(EDITOR_TITLE)
                return None if frame is None else self.a11y.find(
                    frame, lambda n: n.role == "label" and n.name.startswith("已保存")
                    and "正在" not in n.name)

            done = self.a11y.wait_for("the editor's save result", saved, 60)
            self.tally.saves.append(f"min {minute + 1}: {time.monotonic() - started:.1f} s "
                                    f"{done.name}")
        except (A11yError, AssertionError, RuntimeError) as exc:
            self.tally.saves.append(f"min {minute + 1}: FAILED after "
                                    f"{time.monotonic() - started:.1f} s: {exc}")
        print(f"  grammar save: {self.tally.saves[-1]}", flush=True)

    # ---- readings -----------------------------------------------------------------------------
    def label(self) -> str:
        return self.app.state_log.current if self.app.state_log else ""

    def wait_label(self, word: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if word in self.label():
                return True
            time.sleep(0.2)
        return False

    def meter(self) -> float:
        """The level meter's value (0-100) as the window shows it."""
        try:
            if self._meter is None or self._meter[0] is not self.app:
                bar = self.app.find(lambda n: n.role == "progress bar" and n.on_screen,
                                    "the level meter", timeout=2)
                self._meter = (self.app, bar)
            bar = self._meter[1]
            return float(self.a11y.prop(bar.bus, bar.path, "org.a11y.atspi.Value",
                                        "CurrentValue"))
        except (A11yError, AssertionError):
            self._meter = None
            return 0.0

    def sample_memory(self, minute: int) -> None:
        rss = 0.0
        if self.app.process is not None and self.app.alive:
            try:
                rss = psutil.Process(self.app.process.pid).memory_info().rss / MB
            except psutil.Error:
                rss = 0.0
        self.tally.rss.append((minute, rss))
        level = self.tally.levels[-1] if self.tally.levels else 0.0
        print(f"minute {minute:3d}: rss {rss:7.1f} MB  commands {self.tally.commands:3d} right "
              f"{self.tally.right:3d} wrong {len(self.tally.wrong)} stuck "
              f"{len(self.tally.stuck)} unexpected {len(self.tally.unexpected)} crashes "
              f"{len(self.tally.crashes)}  meter max {level:5.1f}  window {self.label()!r}",
              flush=True)

    def check_stuck_state(self) -> None:
        states = self.app.state_log
        if states is None or not states.changes:
            return
        since, text = states.changes[-1]
        if WAKE_LISTEN not in text and time.monotonic() - since > self.args.stuck_after:
            self.tally.stuck_states.append(f"min {self.minute}: {text!r} for "
                                           f"{time.monotonic() - since:.0f} s")

    @staticmethod
    def brief(turn: dict[str, Any]) -> str:
        return (f"{turn.get('text')!r} → {turn.get('domain')}.{turn.get('intent')} "
                f"{turn.get('slots')} / {turn.get('reply')!r}")

    # ---- the report -----------------------------------------------------------------------
    def report(self, wall: float) -> dict[str, Any]:
        t = self.tally
        rss = [(m, v) for m, v in t.rss if v > 0]
        base_minute = 5 if self.args.seconds > 300 else 1
        base = next((v for m, v in rss if m == base_minute), rss[0][1] if rss else 0.0)
        last = rss[-1][1] if rss else 0.0
        growth = last - base
        lat = sorted(t.latencies)
        summary = {
            "seconds": self.args.seconds, "wall_seconds": round(wall, 1),
            "commands": t.commands, "right": t.right, "wrong": t.wrong, "stuck": t.stuck,
            "unexpected_turns": t.unexpected, "crashes": t.crashes,
            "stuck_states": t.stuck_states, "grammar_saves": t.saves,
            "latency_p50": round(statistics.median(lat), 2) if lat else None,
            "latency_max": round(lat[-1], 2) if lat else None,
            "rss_mb": [(m, round(v, 1)) for m, v in t.rss],
            "rss_growth_mb": round(growth, 1), "growth_from_minute": base_minute,
            "rss_max_mb": round(max((v for _, v in rss), default=0.0), 1),
            "meter_max_per_minute": [round(v, 1) for v in t.levels],
            "state_poll_errors": self.app.state_log.errors if self.app.state_log else 0,
        }
        print("\n==== GUI soak", f"{self.args.seconds:g} s (wall {wall:.0f} s)")
        print(f"commands {t.commands}: right {t.right}, wrong {len(t.wrong)}, no reply within "
              f"{self.args.stuck_after:g} s {len(t.stuck)}; reply latency p50 "
              f"{summary['latency_p50']} s, max {summary['latency_max']} s")
        print(f"crashes {len(t.crashes)}, stuck states {len(t.stuck_states)}, unexpected turns "
              f"(false wakes) {len(t.unexpected)}, grammar saves {len(t.saves)}")
        for name in ("wrong", "stuck", "crashes", "stuck_states", "unexpected", "saves"):
            for line in getattr(t, name):
                print(f"  {name}: {line}")
        print(f"resident memory: minute {base_minute} {base:.1f} MB → last {last:.1f} MB: "
              f"growth {growth:+.1f} MB (target ≤ 20 MB"
              + (", measured from minute 1: run ≤ 5 min)" if base_minute == 1 else ")")
              + f"; max {summary['rss_max_mb']} MB")
        print("  per minute: " + ", ".join(f"{m}:{v:.0f}" for m, v in t.rss))
        print(f"level meter max per minute (0-100): {summary['meter_max_per_minute']}")
        return summary


def news_clips(dev: Path, count: int = 40) -> list[np.ndarray]:
    """Sentences of the dev set that are not commands, names, songs or phone numbers."""
    rows = (line.split("\t", 1) for line in
            (dev / "text.tsv").read_text(encoding="utf-8-sig").splitlines() if "\t" in line)
    ids = [utt for utt, text in rows if len(text.strip()) >= 10 and "想听" not in text
           and not set(text.strip()) <= DIGITS][:count]
    return [load_audio(dev / "wav" / f"{utt}.flac") for utt in ids]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="how long (default 3600)")
    parser.add_argument("--stuck-after", type=float, default=30.0,
                        help="seconds without a reply to a command that count as stuck")
    parser.add_argument("--grammar-every", type=float, default=600.0,
                        help="seconds between grammar saves through the editor")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lingyin-soak-"))
    soak = Soak(args, root)
    started = time.monotonic()
    try:
        soak.setup()
        print(f"app started (pid {soak.app.process.pid if soak.app.process else '?'}); "
              f"folder {root}", flush=True)
        soak.run()
        summary = soak.report(time.monotonic() - started)
    finally:
        soak.close()
        if args.keep or soak.tally.crashes:
            print(f"kept {root} (the app's log: {root / 'lingyin.log'})")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    bad = summary["crashes"] or summary["stuck"] or summary["stuck_states"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
