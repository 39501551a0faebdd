"""Desktop app benchmark (issue 9, "Responsiveness and quitting", "Tests and figures").

Runs the real app — ``app.commands.gui.run()``, unchanged, the function `lingyin` calls with no
arguments — in a fresh subprocess per repetition, with Qt's ``offscreen`` platform by default
(``--platform xcb`` under ``xvfb-run`` for a real X server). The only hook: the child swaps
``app.gui.window.MainWindow`` for a subclass that adds a measuring timer and a script of phases;
everything else (QApplication, single-instance socket, settings, bridge, tray, the core built on
the loader thread, quitting) is the app's own code.

Printed per repetition and as median / max over ``--repeat`` runs:

1. Cold start, measured from just before the parent starts the subprocess (CLOCK_MONOTONIC is
   system-wide): the main window's first expose and first paint; the core ready (bridge ``ready``:
   model, grammar and assistant built) and the listener running (its first state event).
2. The longest event-loop stall: a 5 ms ``Qt.PreciseTimer`` on the GUI thread records every gap
   between ticks (a gap of 5 ms is no stall at all), attributed to the phase in force when the gap
   began. Phases, in order:
   - ``startup``: event loop's first tick → window painted (the app's construction before the
     loop runs is reported apart as ``construct_ms``: the loop cannot tick then);
   - ``model_load``: window painted → core ready and listener running;
   - ``decoding``: ``LINGYIN_GUI_INPUT`` is a WAV of 1 s silence, BAC009S0150W0005 (调高温度)
     and 90 s silence; push-to-talk is pressed when the listener starts and released 0.4 s after
     the clip, and the phase lasts until the history entry arrives (+0.3 s);
   - ``grammar_reload``: a comment appended to the user's grammar (the temp config's copy), then
     ``bridge.reload_grammar()`` on a worker thread as the grammar editor calls it (+0.3 s);
   - ``cmd_time`` / ``cmd_weather``: 现在几点 and 北京天气 typed in the window's text box and
     sent with the send button (the weather URL is a dead local port, so it fails fast),
     each until its history entry (+0.3 s);
   - ``idle``: 1 s of listening to silence; then the tray-less window is closed (quit).
3. Resident memory (VmRSS, and the peak VmHWM) of the app process after load and after the
   commands; the time ``run()`` took to return after the window was closed (quitting).

Settings, grammar, history, model (installed with ``lingyin models install --from``) and caches
live in a temporary folder, so the user's files are untouched. The cache folder is shared by the
repetitions: the first run starts with an empty cache (reported as "cold cache"), the others warm.

    nice -n 10 .venv/bin/python bench/bench_gui.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LINGYIN_SHARED", ROOT.parent / "shared"))
CLIP = SHARED / "audio/aishell-s0150/wav/BAC009S0150W0005.flac"
LEAD, TAIL = 1.0, 90.0  # seconds of silence before and after the clip
PHASES = ["startup", "model_load", "decoding", "grammar_reload", "cmd_time", "cmd_weather", "idle"]
COMMANDS = [("cmd_time", "现在几点"), ("cmd_weather", "北京天气")]
T0_ENV = "LINGYIN_BENCH_T0"
TRACE_ENV = "LINGYIN_BENCH_TRACE"
FREEZE_ENV = "LINGYIN_BENCH_GC_FREEZE"
CLIP_ENV = "LINGYIN_BENCH_CLIP_SECONDS"


# ---- the child: the real app with a measuring window ---------------------------------------
def vm_status() -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024.0  # MB
    return out


def child() -> int:
    t0 = float(os.environ[T0_ENV])
    clip_seconds = float(os.environ[CLIP_ENV])
    result: dict[str, Any] = {"marks": {}, "stalls": {}, "top": [], "memory": {}, "notes": []}

    def now() -> float:
        return (time.monotonic() - t0) * 1000.0  # ms since the parent started the process

    result["marks"]["python_main"] = now()
    import gc

    gc_started: dict[str, float] = {}
    collections: list[list[float]] = []  # [start ms, duration ms, generation, collected]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started["t"] = now()
        elif "t" in gc_started:
            collections.append([gc_started["t"], now() - gc_started["t"],
                                info["generation"], info["collected"]])

    gc.callbacks.append(on_gc)
    result["gc"] = collections
    import threading

    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtGui import QWindow

    import app.gui.window as window_module
    from app.commands import gui
    from intents.store import user_grammar_dir

    marks = result["marks"]
    marks["imports_done"] = now()
    base = window_module.MainWindow

    class Measured(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            marks["window_init"] = now()
            super().__init__(*args, **kwargs)
            self._phase = "startup"
            self._phase_started: dict[str, float] = {"startup": now()}
            self._last_tick: float | None = None
            self._gaps: list[tuple[float, str, float]] = []
            self._entries = 0
            self._wanted_entries = 0
            self._then: Any = None
            self._timer = QTimer(self)
            self._timer.setTimerType(Qt.TimerType.PreciseTimer)
            self._timer.setInterval(5)
            self._timer.timeout.connect(self._tick)
            self._timer.start()
            self._watch = _Watch(self)
            from PySide6.QtWidgets import QApplication

            QApplication.instance().installEventFilter(self._watch)
            b = self.bridge
            b.ready.connect(self._core_ready_direct, Qt.ConnectionType.DirectConnection)
            b.state.connect(self._state_direct, Qt.ConnectionType.DirectConnection)
            b.ready.connect(self._core_ready)
            b.turn.connect(self._entry)
            b.heard.connect(lambda text: marks.setdefault("heard", now()))
            b.failed.connect(lambda msg: self._fail(f"core failed: {msg}"))
            QTimer.singleShot(120_000, lambda: self._fail("timed out"))

        # -- measuring
        def _tick(self) -> None:
            t = now()
            if self._last_tick is None:
                marks["first_tick"] = t
            else:
                self._gaps.append((t - self._last_tick, self._phase_at(self._last_tick), t))
            self._last_tick = t

        def _phase_at(self, t: float) -> str:
            phase = "startup"
            for name in PHASES:
                if name in self._phase_started and self._phase_started[name] <= t:
                    phase = name
            return phase

        def _enter(self, phase: str) -> None:
            result["memory"][f"at_{phase}"] = vm_status()
            self._phase = phase
            self._phase_started[phase] = now()

        def _fail(self, why: str) -> None:
            result["notes"].append(why)
            self._finish()

        # -- phases
        def shown(self) -> None:
            if self._phase == "startup":
                self._enter("model_load")

        def _core_ready_direct(self) -> None:
            marks.setdefault("core_ready", now())
            if os.environ.get(FREEZE_ENV):  # what-if: the app froze the loaded objects
                gc.freeze()

        def _state_direct(self, state: str) -> None:
            if "listener_running" not in marks:
                marks["listener_running"] = now()
                marks["first_state"] = state  # type: ignore[assignment]

        def _core_ready(self) -> None:
            self._wait_listener()

        def _wait_listener(self) -> None:
            if "listener_running" not in marks:
                QTimer.singleShot(5, self._wait_listener)
                return
            if self._phase == "startup":  # ready before the first paint: order the phases
                QTimer.singleShot(5, self._wait_listener)
                return
            result["memory"]["after_load"] = vm_status()
            self._enter("decoding")
            self.bridge.press()
            marks["ptt_pressed"] = now()
            release_in = (LEAD + clip_seconds + 0.4) * 1000.0 - (now() - marks["listener_running"])
            QTimer.singleShot(max(0, int(release_in)), self._release)
            self._expect(1, self._reload, fallback_ms=20_000)

        def _release(self) -> None:
            self.bridge.release()
            marks["ptt_released"] = now()

        def _expect(self, count: int, then: Any, fallback_ms: int) -> None:
            self._wanted_entries = self._entries + count
            self._then = then
            self._fallback = QTimer(self)
            self._fallback.setSingleShot(True)
            self._fallback.timeout.connect(lambda: self._after_entries(timed_out=True))
            self._fallback.start(fallback_ms)

        def _entry(self, entry: Any) -> None:
            self._entries += 1
            result.setdefault("entries", []).append(
                {"phase": self._phase, "text": entry.text, "intent": entry.meaning,
                 "reply": entry.reply, "at": now()})
            if self._entries >= self._wanted_entries and self._then is not None:
                self._fallback.stop()
                self._after_entries(timed_out=False)

        def _after_entries(self, timed_out: bool) -> None:
            then, self._then = self._then, None
            if then is None:
                return
            if timed_out:
                result["notes"].append(f"{self._phase}: no history entry in time")
            QTimer.singleShot(300, then)

        def _reload(self) -> None:
            self._enter("grammar_reload")
            grammar = user_grammar_dir() / "apps.yaml"
            with grammar.open("a", encoding="utf-8") as handle:
                handle.write(f"# bench_gui edit {time.time()}\n")
            done: dict[str, Any] = {}

            def work() -> None:
                start = time.monotonic()
                done["problems"] = self.bridge.reload_grammar()
                done["ms"] = (time.monotonic() - start) * 1000.0

            worker = threading.Thread(target=work, name="bench-reload", daemon=True)
            worker.start()

            def poll() -> None:
                if worker.is_alive():
                    QTimer.singleShot(5, poll)
                    return
                result["reload_ms"] = done.get("ms")
                if done.get("problems"):
                    result["notes"].append(f"reload problems: {done['problems']}")
                QTimer.singleShot(300, lambda: self._command(0))

            poll()

        def _command(self, index: int) -> None:
            if index >= len(COMMANDS):
                self._enter("idle")
                QTimer.singleShot(1000, self._finish)
                return
            phase, text = COMMANDS[index]
            self._enter(phase)
            self.command.setText(text)
            self.send.click()
            self._expect(1, lambda: self._command(index + 1), fallback_ms=15_000)

        def _finish(self) -> None:
            if "quit_requested" in marks:
                return
            result["memory"]["after_commands"] = vm_status()
            self._timer.stop()
            for gap, phase, _end in self._gaps:
                result["stalls"][phase] = max(result["stalls"].get(phase, 0.0), gap)
            result["top"] = sorted(self._gaps, reverse=True)[:8]
            result["gc_during_top"] = [
                max((c for c in collections if end - gap - 1 <= c[0] <= end),
                    key=lambda c: c[1], default=None)
                for gap, _phase, end in result["top"]]
            result["gc_objects_end"] = len(gc.get_objects())
            result["phase_started"] = self._phase_started
            if sampler is not None:
                result["traces"] = sampler.explain(result["top"])
            marks["quit_requested"] = now()
            self.quit_app()

    class _Watch(QObject):
        def __init__(self, win: Measured) -> None:
            super().__init__()
            self.win = win

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            kind = event.type()
            if kind == QEvent.Type.Expose and isinstance(obj, QWindow) and obj.isExposed():
                marks.setdefault("exposed", now())
            elif kind == QEvent.Type.Paint and obj is self.win and "painted" not in marks:
                marks["painted"] = now()
                QTimer.singleShot(0, self.win.shown)  # after this paint is done
            return False

    window_module.MainWindow = Measured
    sampler = _Sampler(now) if os.environ.get(TRACE_ENV) else None
    code = gui.run()
    marks["run_returned"] = now()
    result["exit_code"] = code
    print("BENCH_GUI " + json.dumps(result, ensure_ascii=False), flush=True)
    return 0


class _Sampler:
    """With --trace-stalls: every 2 ms, where each thread is (the innermost frames of the
    project's code and the call it is in), to name what ran when the GUI thread was held up."""

    def __init__(self, clock: Any) -> None:
        import threading

        self.clock = clock
        self.samples: list[tuple[float, dict[str, str]]] = []
        self.main = threading.main_thread().ident
        threading.Thread(target=self._run, name="bench-sampler", daemon=True).start()

    def _run(self) -> None:
        import threading
        import traceback

        names = {}
        while True:
            for t in threading.enumerate():
                names[t.ident] = t.name
            frames = sys._current_frames()
            stacks = {}
            for ident, frame in frames.items():
                name = names.get(ident, str(ident))
                if name == "bench-sampler":
                    continue
                stack = traceback.extract_stack(frame)[-4:]
                stacks[name] = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                          for f in reversed(stack))
            self.samples.append((self.clock(), stacks))
            time.sleep(0.002)

    def explain(self, gaps: list[tuple[float, str, float]]) -> list[dict[str, Any]]:
        out = []
        for gap, phase, end in gaps:
            if gap < 50:
                continue
            start = end - gap
            before = [s for s in self.samples if s[0] <= start + 2]
            inside = [s for s in self.samples if start + 2 < s[0] < end]
            out.append({"gap": gap, "phase": phase, "end": end,
                        "last_sample_before": before[-1][1] if before else {},
                        "first_sample_after": next(
                            (s[1] for s in self.samples if s[0] >= end), {}),
                        "samples_inside": len(inside)})
        return out


# ---- the parent -----------------------------------------------------------------------------
def write_input(path: Path) -> float:
    import numpy as np

    from asr.audio import load_audio

    clip = load_audio(CLIP)
    rate = 16000
    samples = np.concatenate([np.zeros(int(LEAD * rate), np.float32), clip,
                              np.zeros(int(TAIL * rate), np.float32)])
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return len(clip) / rate


def run_once(env: dict[str, str], platform: str, timeout: float) -> dict[str, Any]:
    env = dict(env, QT_QPA_PLATFORM=platform)
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    start = time.monotonic()
    env[T0_ENV] = repr(start)
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    exited = (time.monotonic() - start) * 1000.0
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_GUI "):
            data: dict[str, Any] = json.loads(line[len("BENCH_GUI "):])
            data["marks"]["process_exited"] = exited
            data["stderr"] = proc.stderr.strip()[-2000:]
            return data
    raise SystemExit(f"the app printed no result (exit {proc.returncode}):\n"
                     f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} {max(values):8.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--platform", default="offscreen",
                        help="QT_QPA_PLATFORM for the app (xcb: run under xvfb-run)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--trace-stalls", action="store_true",
                        help="sample every thread's stack and show them around stalls > 50 ms")
    parser.add_argument("--gc-freeze-after-load", action="store_true",
                        help="what-if, not the app as shipped: gc.freeze() once the core is "
                        "ready, so later full collections skip the loaded model and grammar")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()

    tmp = Path(tempfile.mkdtemp(prefix="lingyin-bench-gui-"))
    try:
        data = tmp / "data"
        lingyin = Path(sys.executable).with_name("lingyin")
        subprocess.run([str(lingyin), "models", "install", "--from", str(SHARED / "models"),
                        "--data-dir", str(data)], check=True, capture_output=True)
        clip_seconds = write_input(tmp / "input.wav")
        env = dict(os.environ, LINGYIN_DATA_DIR=str(data), LINGYIN_CACHE_DIR=str(tmp / "cache"),
                   LINGYIN_GUI_INPUT=str(tmp / "input.wav"),
                   LINGYIN_WEATHER_URL="http://127.0.0.1:9/forecast",
                   **{CLIP_ENV: repr(clip_seconds)})
        if args.trace_stalls:
            env[TRACE_ENV] = "1"
        if args.gc_freeze_after_load:
            env[FREEZE_ENV] = "1"
        runs: list[dict[str, Any]] = []
        for n in range(args.repeat):
            config = tmp / f"config-{n}"  # a fresh user grammar and settings each run
            (data / "history.json").unlink(missing_ok=True)
            run = run_once(dict(env, LINGYIN_CONFIG_DIR=str(config)), args.platform,
                           args.timeout)
            runs.append(run)
            report_run(n, run)
        report_summary(runs, args)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report_run(n: int, run: dict[str, Any]) -> None:
    m = run["marks"]
    stalls = run["stalls"]
    print(f"run {n + 1}{' (cold cache)' if n == 0 else ''}: painted {m.get('painted', 0):.0f} ms,"
          f" core ready {m.get('core_ready', 0):.0f} ms,"
          f" listener {m.get('listener_running', 0):.0f} ms; stalls "
          + ", ".join(f"{p} {stalls.get(p, 0):.0f}" for p in PHASES)
          + f"; RSS {run['memory'].get('after_load', {}).get('VmRSS', 0):.0f} → "
          f"{run['memory'].get('after_commands', {}).get('VmRSS', 0):.0f} MB")
    for entry in run.get("entries", []):
        print(f"    {entry['phase']}: {entry['text']} → {entry['intent']} · {entry['reply']}")
    print("    longest gaps (phase, end ms; the longest garbage collection inside):")
    for (gap, phase, end), coll in zip(run["top"][:5], run["gc_during_top"][:5], strict=True):
        inside = (f"gen{coll[2]} collection {coll[1]:.0f} ms" if coll and coll[1] >= 1
                  else "no collection ≥ 1 ms")
        print(f"      {gap:6.0f} ms  {phase:15} @ {end:6.0f}  {inside}")
    slow = [c for c in run["gc"] if c[1] >= 50]
    longest = max((c[1] for c in run["gc"]), default=0)
    print(f"    collections ≥ 50 ms: {len(slow)} (longest {longest:.0f} ms);"
          f" tracked objects at the end: {run['gc_objects_end']:,}")
    for trace in run.get("traces", []):
        print(f"    stall {trace['gap']:.0f} ms in {trace['phase']} ending at {trace['end']:.0f}"
              f" ms ({trace['samples_inside']} samples inside):")
        for label in ("last_sample_before", "first_sample_after"):
            for thread, stack in trace[label].items():
                print(f"      {label.split('_')[0]} {thread}: {stack}")
    for note in run["notes"]:
        print(f"    note: {note}")


def report_summary(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nplatform {args.platform}, {len(runs)} runs (run 1 with an empty cache folder);"
          " ms from the subprocess start unless said")
    print(f"{'figure':40} {'median':>8} {'max':>8}")

    def row(label: str, values: list[float]) -> None:
        if values:
            print(f"{label:40} {summary(values)}")

    def mark(name: str) -> list[float]:
        return [r["marks"][name] for r in runs if name in r["marks"]]

    row("python running (interpreter start)", mark("python_main"))
    row("window constructed (MainWindow init)", mark("window_init"))
    row("window exposed", mark("exposed"))
    row("window painted (target ≤ 1500)", mark("painted"))
    row("core ready (bridge.ready)", mark("core_ready"))
    row("listener running (first state)", mark("listener_running"))
    row("construct → first loop tick (no loop)",
        [r["marks"]["first_tick"] - r["marks"]["window_init"] for r in runs
         if "first_tick" in r["marks"]])
    for phase in PHASES:
        row(f"longest stall: {phase} (target ≤ 50)", [r["stalls"].get(phase, 0.0) for r in runs])
    row("longest stall: any phase", [max(r["stalls"].values()) for r in runs])
    row("grammar reload on the worker", [r["reload_ms"] for r in runs if r.get("reload_ms")])
    for when in ("after_load", "at_grammar_reload", "at_cmd_time", "at_cmd_weather",
                 "after_commands"):
        row(f"VmRSS MB {when}", [r["memory"][when]["VmRSS"] for r in runs
                                 if when in r["memory"]])
    row("VmHWM MB (peak) at the end", [r["memory"]["after_commands"]["VmHWM"] for r in runs
                                       if "after_commands" in r["memory"]])
    row("quit: window closed → run() returned",
        [r["marks"]["run_returned"] - r["marks"]["quit_requested"] for r in runs
         if "quit_requested" in r["marks"]])
    if len(runs) > 1:
        warm = runs[1:]
        print("warm cache only (runs 2…): painted "
              f"{summary([r['marks']['painted'] for r in warm])}, listener running "
              f"{summary([r['marks']['listener_running'] for r in warm])}")


if __name__ == "__main__":
    raise SystemExit(main())
