"""Footprint benchmark (issue 16): resident memory, ready time and decision latency of the real
Lingyin processes, beside sherpa-onnx running the same model files — in one run.

    .venv/bin/python bench/bench_footprint.py [--quick]
        [--parts listen,app,reload,lists,decision,peer] [--repeat N] [--settle S]
        [--json [PATH]] [--keep]

Parts (all by default):

- ``listen``: `lingyin listen --mode wake --json --no-speak`, idle on a private PulseAudio whose
  pipe-source microphone is fed digital silence (tests/pulse.py). Ready = its first ``state``
  event ``wake_listen``. Warm (the user's caches exist) and cold (a fresh home, the model
  installed into a private LINGYIN_DATA_DIR with `lingyin models install --from
  $LINGYIN_SHARED/models`, then LINGYIN_CACHE_DIR emptied — the install builds the pinyin→Hanzi
  lexicon there — so the lexicon and the grammar graph are built on that run). Before the
  rounds, the warm user's very first run (right after the install, its lexicon kept: the graph
  is compiled) is reported on its own.
- ``app``: `lingyin` with no arguments on a private Xvfb with its own session bus
  (tests/person/desktop.py), accessibility off. Ready = the moment the app opens its microphone
  stream on the private server (the loaded core's listener runs; seen with `pactl subscribe`);
  painted = the first flush of the main window in Qt's own painting log
  (``QT_LOGGING_RULES=qt.widgets.painting.debug=true``, timestamps on the monotonic clock).
- ``reload``: the app (tests/person LingyinApp: accessibility on, read through AT-SPI), warm,
  then 10 grammar saves through its editor (编辑语法 → a comment typed → 保存 → the editor's
  result line): memory at ready, with the editor open, and after the 10 reloads; seconds per
  save; the window label's ready time beside the microphone's.
- ``lists``: listen and the app for a user with 5,000 contacts (a generated vCard through
  `lingyin contacts import`) and 5,000 more songs (the user's lists/songs.txt), generated
  deterministically as bench/bench_compile.py does; the first run (graph compiled) on its own.
- ``decision``: end of speech → decision, `UnderstandingStream.finish()` on the dev speaker's
  command clips, default grammar vs the same grammar with the 5,000-item lists
  (bench/footprint_decision.py, in a child process); p50/p95.
- ``peer``: sherpa-onnx from PyPI in its own virtualenv (bench/sherpa_setup.sh; never .venv)
  loading an OnlineRecognizer on the same encoder/decoder/joiner/tokens.txt and decoding one clip
  (bench/sherpa_peer.py), its C API (bench/sherpa_c/, built with gcc against the header and
  library the wheel ships), and Lingyin's recogniser alone (bench/footprint_recognizer.py) as
  the like-for-like row; each child says ``ready`` and waits while its memory is read. Each peer
  also runs once under `strace -f -e trace=network`: no connection may leave the machine.

Memory is /proc/PID/smaps_rollup (RSS, PSS) and /proc/PID/status (VmHWM, the peak), read
``--settle`` seconds after ready (idle) and, when the process started child processes (the
lexicon build and large grammar compiles run in one, asr/child.py), after the last of them
ended; the children's own peak (VmHWM, sampled every 0.2 s) is a column of its own.
Runs are interleaved round by round (the order rotates
each round) and each figure is the median of ``--repeat`` runs (3; ``--quick``: 1 run, 2 s
settle, one decision pass); ratios are medians of the per-round ratios. A part that cannot run
(no sherpa virtualenv, a process that never gets ready) prints why on its row and the exit code
is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests", ROOT / "tests" / "person", ROOT / "bench"):
    sys.path.insert(0, str(extra))

from desktop import Desktop, DesktopError  # noqa: E402
from footprint_lists import append_songs, write_vcard  # noqa: E402
from footprint_procs import (  # noqa: E402
    MicWatch,
    RunError,
    Sample,
    empty_cache,
    install_model,
    lingyin,
    network_calls,
    new_home,
    plain_env,
    run_app,
    run_listen,
    run_ready_child,
)
from lingyin_app import Home  # noqa: E402
from pulse import NullSpeaker, PulseError, PulseServer, VirtualMic  # noqa: E402

from asr import settings  # noqa: E402
from asr.manifest import Manifest  # noqa: E402

PARTS = ("listen", "app", "reload", "lists", "decision", "peer")
ITEMS = 5000
SAVES = 10
CLIP = "BAC009S0150W0001"  # 设定二十九度, the clip the peers decode
BENCH_VENV = Path(os.environ.get("LINGYIN_BENCH_VENV", ROOT / ".bench-venv"))
C_RUNNER = ROOT / "bench" / "out" / "sherpa_ready"

# row names (printed and the keys of --json)
VERY_FIRST = "very first run: listen, a new user right after `models install`"
LISTEN_WARM, LISTEN_COLD = "listen --mode wake, warm", "listen --mode wake, cold"
APP_WARM, APP_COLD = "app (lingyin), warm", "app (lingyin), cold"
RELOAD = "app, 10 grammar reloads (accessibility on)"
LISTS_FIRST = f"listen, {ITEMS:,} contacts + songs, first run (graph compiled)"
LISTEN_LISTS, APP_LISTS = (f"listen --mode wake, {ITEMS:,} contacts + songs, warm",
                           f"app (lingyin), {ITEMS:,} contacts + songs, warm")
RECOGNIZER = "Lingyin recogniser alone (Recognizer.load + 1 clip)"
SHERPA_PY = "sherpa-onnx Python (OnlineRecognizer + 1 clip)"
SHERPA_C = "sherpa-onnx C API (sherpa_ready + 1 clip)"
# rows whose runs must find their grammar graph in the cache (a run that compiled one is left out)
WARM_ROWS = (LISTEN_WARM, APP_WARM, LISTEN_LISTS, APP_LISTS, RELOAD)


def graphs(cache: Path) -> set[str]:
    """The compiled grammar graphs in a cache folder (file names)."""
    return {path.name for path in (cache / "graphs").glob("*.graph")}


class Footprint:
    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args = args
        self.parts: set[str] = set(args.parts)
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.shared = settings.shared_dir()
        self.samples: dict[str, list[Sample]] = {}
        self.problems: list[str] = []
        self.decision: dict[str, Any] = {}
        self.network: dict[str, Any] = {}
        self.server: PulseServer | None = None
        self.mic: VirtualMic | None = None
        self.speaker: NullSpeaker | None = None
        self.desktop: Desktop | None = None
        self.a11y: Any = None
        self.watch: MicWatch | None = None
        self.warm: Home | None = None
        self.lists_home: Home | None = None
        self.homes: list[Home] = []
        self.installs: list[float] = []  # seconds each `lingyin models install --from` took
        self.peer_ok: dict[str, str] = {}  # row → why it cannot run ('' = it can)
        self.clip = root / "clip.f32"
        self.model_dir = self.shared / "models" / settings.DEFAULT_MODEL
        roles = Manifest.load().roles
        self.files = [roles["encoder"], roles["decoder"], roles["joiner"]]

    # ---- set-up ---------------------------------------------------------------------------
    @property
    def processes(self) -> bool:
        return bool(self.parts & {"listen", "app", "reload", "lists"})

    def setup(self) -> None:
        if self.processes:
            self.server = PulseServer()
            self.server.start()
            self.mic = VirtualMic(self.server, noise=0.0)  # digital silence
            self.speaker = NullSpeaker(self.server)
            self.watch = MicWatch()
        if self.parts & {"app", "reload", "lists"}:
            self.desktop = Desktop(self.root / "desktop")
            self.desktop.start()
        if "reload" in self.parts:
            from atspi import A11y

            self.a11y = A11y(self.desktop.bus_address) if self.desktop else None
        if self.processes or "decision" in self.parts:
            self.warm = self.user("warm", self.root / "warm-cache")
        if self.processes:
            print(f"[setup] {VERY_FIRST} …", flush=True)
            self.add(VERY_FIRST, run_listen(VERY_FIRST, self.warm, self.watch,
                                            self.logs / "listen.log", self.args.settle))
        if "lists" in self.parts:
            self.setup_lists()
        if "peer" in self.parts:
            self.setup_peers()

    def user(self, name: str, cache: Path) -> Home:
        """A fresh user with the model installed by `lingyin models install --from` into its
        own data folder, and ``cache`` (emptied when it is the user's own)."""
        home = new_home(self.root / name, cache)
        self.homes.append(home)
        self.installs.append(round(install_model(home, self.shared), 2))
        return home

    def cold_user(self, name: str) -> Home:
        home = self.user(name, self.root / name / "cache")
        left = empty_cache(home)
        if left:
            print(f"  (the install left {left} in the cache folder: removed)", flush=True)
        return home

    def setup_lists(self) -> None:
        assert self.warm is not None
        home = self.user("lists", self.warm.cache)  # the lexicon is cached; the graph is not
        vcard = write_vcard(self.root / "contacts.vcf", ITEMS)
        done = lingyin(home, "contacts", "import", str(vcard))
        if done.returncode != 0:
            raise RunError(f"lingyin contacts import failed: {done.stderr.strip()[-1500:]}")
        songs = home.grammar_dir / "lists" / "songs.txt"
        append_songs(songs, ITEMS)
        self.lists_home = home
        print(f"[setup] lists: {done.stdout.strip().splitlines()[0]}; {ITEMS:,} songs added to "
              f"{songs}", flush=True)
        if self.watch is not None:
            print(f"[setup] {LISTS_FIRST} …", flush=True)
            self.add(LISTS_FIRST, run_listen(LISTS_FIRST, home, self.watch,
                                             self.logs / "listen.log", self.args.settle))

    def setup_peers(self) -> None:
        from asr.audio import load_audio

        load_audio(self.shared / "audio" / "aishell-s0150" / "wav" / f"{CLIP}.flac") \
            .astype("<f4").tofile(self.clip)
        self.peer_ok[RECOGNIZER] = ""
        python = BENCH_VENV / "bin" / "python"
        if not python.exists():
            why = (f"no sherpa-onnx virtualenv at {BENCH_VENV}: run `bash bench/sherpa_setup.sh`"
                   " (it installs sherpa-onnx from PyPI there, never into .venv)")
            self.peer_ok[SHERPA_PY] = self.peer_ok[SHERPA_C] = why
            return
        check = subprocess.run([str(python), "-c", "import sherpa_onnx"], capture_output=True,
                               text=True, timeout=120, check=False)
        self.peer_ok[SHERPA_PY] = ("" if check.returncode == 0 else
                                   f"{python} cannot import sherpa_onnx: "
                                   f"{check.stderr.strip()[-300:]} (run bench/sherpa_setup.sh)")
        if not C_RUNNER.exists():
            build = subprocess.run(["bash", str(ROOT / "bench" / "sherpa_c" / "build.sh"),
                                    str(BENCH_VENV)], capture_output=True, text=True,
                                   timeout=300, check=False)
            if build.returncode != 0:
                self.peer_ok[SHERPA_C] = ("the C runner could not be built "
                                          f"(bench/sherpa_c/build.sh): "
                                          f"{(build.stderr or build.stdout).strip()[-500:]}")
                return
        self.peer_ok[SHERPA_C] = ""

    def close(self) -> None:
        for step in (lambda: self.watch and self.watch.close(),
                     lambda: self.a11y and self.a11y.close(),
                     lambda: self.mic and self.mic.close(),
                     lambda: self.speaker and self.speaker.close(),
                     lambda: self.server and self.server.stop(),
                     lambda: self.desktop and self.desktop.stop()):
            try:
                step()
            except Exception as exc:  # tear everything down whatever one step does
                print(f"closing: {exc}", file=sys.stderr)
        for home in self.homes:
            home.remove_runtime()

    # ---- the rounds -------------------------------------------------------------------------
    def add(self, row: str, sample: Sample) -> None:
        self.samples.setdefault(row, []).append(sample)
        if sample.error:
            self.problems.append(sample.error)
        brief = (f"ready {sample.ready_s:.2f} s" if sample.ready_s is not None else "not ready")
        memory = sample.idle or sample.at_ready
        if memory:
            brief += f", RSS {memory.get('rss', 0):.0f} MB, PSS {memory.get('pss', 0):.0f} MB"
        if sample.extra.get("graphs_written"):
            brief += f" (compiled {sample.extra['graphs_written']} grammar graph(s))"
        print(f"  {row}: {brief}{' — ' + sample.error if sample.error else ''}", flush=True)

    def counted(self, run: Callable[[], Sample]) -> Sample:
        """``run`` with the graphs it wrote to the warm cache counted: a "warm" run that had to
        compile its grammar graph was not warm (the graph cache's key covers the compiler's
        own source files, so an edit of them while the benchmark runs makes every graph stale)."""
        assert self.warm is not None
        before = graphs(self.warm.cache)
        sample = run()
        sample.extra["graphs_written"] = len(graphs(self.warm.cache) - before)
        return sample

    def configs(self, round_: int) -> list[tuple[str, Callable[[], Sample]]]:
        settle, logs = self.args.settle, self.logs
        out: list[tuple[str, Callable[[], Sample]]] = []
        if "listen" in self.parts:
            out.append((LISTEN_WARM, lambda: self.counted(lambda: run_listen(
                LISTEN_WARM, self.warm, self.watch, logs / "listen.log", settle))))
            out.append((LISTEN_COLD, lambda: run_listen(
                LISTEN_COLD, self.cold_user(f"cold-listen-{round_}"), self.watch,
                logs / "listen.log", settle)))
        if "app" in self.parts:
            out.append((APP_WARM, lambda: self.counted(lambda: run_app(
                APP_WARM, self.warm, self.desktop, self.watch, logs / "app.log", settle))))
            out.append((APP_COLD, lambda: run_app(
                APP_COLD, self.cold_user(f"cold-app-{round_}"), self.desktop, self.watch,
                logs / "app.log", settle)))
        if "reload" in self.parts:
            out.append((RELOAD, lambda: self.counted(lambda: self.reload(round_))))
        if "lists" in self.parts:
            out.append((LISTEN_LISTS, lambda: self.counted(lambda: run_listen(
                LISTEN_LISTS, self.lists_home, self.watch, logs / "listen.log", settle))))
            out.append((APP_LISTS, lambda: self.counted(lambda: run_app(
                APP_LISTS, self.lists_home, self.desktop, self.watch, logs / "app.log",
                settle))))
        if "peer" in self.parts:
            for row, command in self.peer_commands().items():
                out.append((row, lambda row=row, command=command: self.peer(row, command)))
        return out

    def reload(self, round_: int) -> Sample:
        from footprint_reload import run_reload

        assert self.warm is not None
        home = self.user(f"reload-{round_}", self.warm.cache)  # warm caches, a new user
        return run_reload(RELOAD, home, self.desktop, self.a11y, self.watch,
                          self.logs / "reload.log", self.args.settle, SAVES)

    def peer_commands(self) -> dict[str, list[str]]:
        model, clip = str(self.model_dir), str(self.clip)
        return {RECOGNIZER: [sys.executable, str(ROOT / "bench" / "footprint_recognizer.py"),
                             model, clip],
                SHERPA_PY: [str(BENCH_VENV / "bin" / "python"),
                            str(ROOT / "bench" / "sherpa_peer.py"), model, *self.files, clip],
                SHERPA_C: [str(C_RUNNER), model, *self.files, clip]}

    def peer(self, row: str, command: list[str]) -> Sample:
        why = self.peer_ok.get(row, "")
        if why:
            return Sample(row, error=f"{row}: {why}")
        env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1"}
        return run_ready_child(row, command, self.args.settle, env)

    def rounds(self) -> None:
        for round_ in range(self.args.repeat):
            todo = self.configs(round_)
            shift = round_ % max(1, len(todo))
            todo = todo[shift:] + todo[:shift]
            print(f"[round {round_ + 1}/{self.args.repeat}] "
                  + ", ".join(row for row, _ in todo), flush=True)
            for row, run in todo:
                try:
                    sample = run()
                except (RunError, DesktopError, PulseError, OSError,
                        subprocess.SubprocessError) as exc:
                    sample = Sample(row, error=f"{row}: {exc}")
                sample.extra["round"] = round_
                self.add(row, sample)

    # ---- decision latency and the network check ---------------------------------------------
    def run_decision(self) -> None:
        assert self.warm is not None
        print(f"[decision] finish() on the dev command clips, {self.args.passes} pass(es) …",
              flush=True)
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "footprint_decision.py"),
                               "--passes", str(self.args.passes), "--items", str(ITEMS)],
                              env=plain_env(self.warm), capture_output=True, text=True,
                              timeout=3600, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            message = f"decision: footprint_decision.py failed ({done.returncode}): " \
                      f"{done.stderr.strip()[-1500:]}"
            self.decision = {"error": message}
            self.problems.append(message)
            return
        self.decision = json.loads(lines[-1])

    def run_network(self) -> None:
        print("[peer] strace -f -e trace=network on each peer …", flush=True)
        env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1"}
        for row, command in self.peer_commands().items():
            if row == RECOGNIZER or self.peer_ok.get(row):
                continue
            found = network_calls(command, env)
            self.network[row] = found
            if found.get("error") or found.get("inet_connections"):
                self.problems.append(f"{row} under strace: {found}")

    # ---- the report ---------------------------------------------------------------------------
    def usable(self, row: str) -> list[Sample]:
        """The row's runs without errors; for a warm row, only those that found their grammar
        graph in the cache."""
        return [s for s in self.samples.get(row, []) if not s.error
                and not (row in WARM_ROWS and s.extra.get("graphs_written"))]

    def medians(self, row: str) -> dict[str, Any]:
        good = self.usable(row)

        def med(values: list[float | None]) -> float | None:
            kept = [v for v in values if v is not None]
            return statistics.median(kept) if kept else None

        def span(values: list[float | None]) -> tuple[float, float] | None:
            kept = [v for v in values if v is not None]
            return (min(kept), max(kept)) if kept else None

        done = self.samples.get(row, [])
        out: dict[str, Any] = {"runs": len(good), "failed": sum(1 for s in done if s.error),
                               "not_warm": sum(1 for s in done if not s.error
                                               and row in WARM_ROWS
                                               and s.extra.get("graphs_written"))}
        for key in ("ready_s", "mic_s", "painted_s"):
            out[key] = med([getattr(s, key) for s in good])
            out[key + "_range"] = span([getattr(s, key) for s in good])
        for where in ("at_ready", "idle"):
            for key in ("rss", "pss", "vmhwm"):
                out[f"{where}_{key}"] = med([getattr(s, where).get(key) for s in good])
        if row == RELOAD:
            for key in ("rss", "pss", "vmhwm"):
                out[f"editor_{key}"] = med([s.extra.get("editor_open", {}).get(key)
                                            for s in good])
            saves = [v for s in good for v in s.extra.get("save_s", [])]
            out["save_s"] = statistics.median(saves) if saves else None
            out["save_s_range"] = (min(saves), max(saves)) if saves else None
            out["label_minus_mic_s"] = med([s.extra.get("label_ready_minus_mic_s")
                                            for s in good])
            out["graphs_written"] = [s.extra.get("graphs_written")
                                     for s in self.samples.get(row, []) if not s.error]
        peaks = [s.extra["children_peak"] for s in good if s.extra.get("children")]
        out["children_peak"] = statistics.median(peaks) if peaks else None
        out["children"] = [s.extra.get("children") for s in good]
        done = [s.extra["children_done_s"] for s in good if s.extra.get("children_done_s")]
        out["children_done_s"] = statistics.median(done) if done else None
        for key in ("load_s", "import_s", "decode_s"):
            values = [float(s.extra[key]) for s in good if key in s.extra]
            if values:
                out[key] = statistics.median(values)
        return out

    def ratio(self, top: str, bottom: str, key: Callable[[Sample], float | None]) -> float | None:
        """Median over rounds of key(top) / key(bottom) for the samples of the same round."""
        by_round = {s.extra.get("round"): s for s in self.usable(bottom)}
        values = []
        for sample in self.usable(top):
            other = by_round.get(sample.extra.get("round"))
            if other is None:
                continue
            a, b = key(sample), key(other)
            if a is not None and b:
                values.append(a / b)
        return statistics.median(values) if values else None

    def report(self) -> dict[str, Any]:
        rows = [VERY_FIRST, LISTEN_WARM, LISTEN_COLD, APP_WARM, APP_COLD, RELOAD, LISTS_FIRST,
                LISTEN_LISTS, APP_LISTS, RECOGNIZER, SHERPA_PY, SHERPA_C]
        summary: dict[str, Any] = {}
        print(f"\n==== footprint ({self.args.repeat} run(s) per row, medians; memory "
              f"{self.args.settle:g} s after ready; {platform.node()}, {os.cpu_count()} cores)\n")
        print("| row | runs | ready s (min–max) | mic open s | first paint s | RSS MB | PSS MB "
              "| VmHWM MB | child processes: peak VmHWM MB |")
        print("|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            if row not in self.samples:
                continue
            m = self.medians(row)
            summary[row] = {"medians": m,
                            "samples": [s.to_json() for s in self.samples[row]]}
            errors = [s.error for s in self.samples[row] if s.error]
            if not m["runs"]:
                why = errors[0] if errors else (
                    f"all {m['not_warm']} runs compiled the grammar graph (not warm: the "
                    "compiler's code changed while the benchmark ran)")
                print(f"| {row} | 0 | **{why}** | | | | | | |")
                continue
            failed = f" ({m['failed']} failed)" if m["failed"] else ""
            if m["not_warm"]:
                failed += (f" (+{m['not_warm']} left out: compiled the graph, the compiler's "
                           "code had changed)")
            if row == RELOAD:
                print(f"| {row}: at ready | {m['runs']}{failed} | {ready(m)} | "
                      f"{num(m['mic_s'], 2)} | | {num(m['at_ready_rss'])} | "
                      f"{num(m['at_ready_pss'])} | {num(m['at_ready_vmhwm'])} | |")
                print(f"| {row}: editor open | {m['runs']} | | | | {num(m['editor_rss'])} | "
                      f"{num(m['editor_pss'])} | {num(m['editor_vmhwm'])} | |")
                print(f"| {row}: after {SAVES} saves (save → reloaded {num(m['save_s'], 1)} s, "
                      f"{num((m['save_s_range'] or (None,))[0], 1)}–"
                      f"{num((m['save_s_range'] or (None, None))[1], 1)}; window label ready − "
                      f"microphone open {num(m['label_minus_mic_s'], 2)} s; graphs compiled "
                      f"per run {m['graphs_written']}) | {m['runs']} | | | | "
                      f"{num(m['idle_rss'])} | {num(m['idle_pss'])} | {num(m['idle_vmhwm'])} | "
                      f"{children(m)} |")
                continue
            print(f"| {row} | {m['runs']}{failed} | {ready(m)} | {num(m['mic_s'], 2)} | "
                  f"{num(m['painted_s'], 2)} | {num(m['idle_rss'])} | {num(m['idle_pss'])} | "
                  f"{num(m['idle_vmhwm'])} | {children(m)} |")
        self.report_peers(summary)
        self.report_ratios(summary)
        self.report_decision(summary)
        if self.problems:
            print("\nproblems:")
            for problem in self.problems:
                print(f"  - {problem}")
        return summary

    def report_peers(self, summary: dict[str, Any]) -> None:
        peers = [r for r in (RECOGNIZER, SHERPA_PY, SHERPA_C) if r in self.samples]
        if not peers:
            return
        print("\n| peer | load s (in-process) | decode 1 clip s | heard |")
        print("|---|---|---|---|")
        for row in peers:
            m = summary[row]["medians"]
            good = [s for s in self.samples[row] if not s.error]
            heard = good[0].extra.get("text", "") if good else ""
            print(f"| {row} | {num(m.get('load_s'), 3)} | {num(m.get('decode_s'), 3)} | "
                  f"{heard} |")
        if self.network:
            print("\n| peer under strace -f -e trace=network | socket families | connections "
                  "to the network |")
            print("|---|---|---|")
            for row, found in self.network.items():
                text = found.get("error") or (", ".join(found.get("inet_connections", []))
                                              or "none")
                print(f"| {row} | {', '.join(found.get('sockets', [])) or 'none'} | {text} |")
            summary["network"] = self.network

    def report_ratios(self, summary: dict[str, Any]) -> None:
        def pss(s: Sample) -> float | None:
            return s.idle.get("pss")

        def rss(s: Sample) -> float | None:
            return s.idle.get("rss")

        def ready_of(s: Sample) -> float | None:
            return s.ready_s

        def grown(s: Sample) -> float | None:
            before = s.extra.get("editor_open", {}).get("pss")
            return None if before is None or not s.idle else s.idle["pss"] / before

        wanted = [
            ("Lingyin recogniser / sherpa-onnx Python: PSS", RECOGNIZER, SHERPA_PY, pss),
            ("Lingyin recogniser / sherpa-onnx Python: RSS", RECOGNIZER, SHERPA_PY, rss),
            ("Lingyin recogniser / sherpa-onnx Python: ready", RECOGNIZER, SHERPA_PY, ready_of),
            ("Lingyin recogniser / sherpa-onnx C: PSS", RECOGNIZER, SHERPA_C, pss),
            ("Lingyin recogniser / sherpa-onnx C: ready", RECOGNIZER, SHERPA_C, ready_of),
            ("listen (warm) / sherpa-onnx C: PSS", LISTEN_WARM, SHERPA_C, pss),
            ("listen (warm) / sherpa-onnx Python: PSS", LISTEN_WARM, SHERPA_PY, pss),
            ("app (warm) / listen (warm): PSS", APP_WARM, LISTEN_WARM, pss),
            ("app (warm) / listen (warm): ready", APP_WARM, LISTEN_WARM, ready_of),
            ("listen cold / warm: ready", LISTEN_COLD, LISTEN_WARM, ready_of),
            ("app cold / warm: ready", APP_COLD, APP_WARM, ready_of),
            (f"listen {ITEMS:,} lists / default: PSS", LISTEN_LISTS, LISTEN_WARM, pss),
            (f"listen {ITEMS:,} lists / default: ready", LISTEN_LISTS, LISTEN_WARM, ready_of),
            (f"app {ITEMS:,} lists / default: PSS", APP_LISTS, APP_WARM, pss),
            (f"app {ITEMS:,} lists / default: ready", APP_LISTS, APP_WARM, ready_of),
            (f"app after {SAVES} reloads / app with the editor open: PSS", RELOAD, RELOAD, None),
        ]
        lines = []
        for label, top, bottom, key in wanted:
            if key is None:
                values = [g for s in self.samples.get(RELOAD, []) if not s.error
                          and (g := grown(s)) is not None]
                value = statistics.median(values) if values else None
            else:
                value = self.ratio(top, bottom, key)
            if value is not None:
                lines.append((label, value))
        if not lines:
            return
        print("\n| ratio (median of the per-round ratios) | value |")
        print("|---|---|")
        for label, value in lines:
            print(f"| {label} | {value:.2f} |")
        summary["ratios"] = dict(lines)

    def report_decision(self, summary: dict[str, Any]) -> None:
        if "decision" not in self.parts:
            return
        summary["decision"] = self.decision
        if "error" in self.decision:
            print(f"\ndecision latency: **{self.decision['error']}**")
            return
        d = self.decision
        print(f"\n| decision latency, end of speech → decision (finish()), {d['clips']} command "
              f"clips × {d['passes']} | accepted | p50 ms | p95 ms | max ms | p50 per pass |")
        print("|---|---|---|---|---|---|")
        for name, g in d["grammars"].items():
            print(f"| {name} (built in {g['build_s']:.1f} s) | {g['accepted']}/{d['clips']} | "
                  f"{g['p50_ms']:.1f} | {g['p95_ms']:.1f} | {g['max_ms']:.0f} | "
                  f"{', '.join(f'{v:.1f}' for v in g['p50_per_pass_ms'])} |")
        names = list(d["grammars"])
        if len(names) == 2:
            a, b = (d["grammars"][n] for n in names)
            print(f"\nratio with the lists / default: p50 {b['p50_ms'] / a['p50_ms']:.2f}, "
                  f"p95 {b['p95_ms'] / a['p95_ms']:.2f}")


def num(value: float | None, places: int = 0) -> str:
    return "—" if value is None else f"{value:,.{places}f}"


def children(m: dict[str, Any]) -> str:
    """The median peak of the child processes, with how many each run started."""
    counts = [c for c in m.get("children", []) if c is not None]
    if not counts:
        return ""
    if not any(counts):
        return "none"
    text = f"{num(m['children_peak'])} ({'/'.join(str(c) for c in counts)} per run"
    if m.get("children_done_s") is not None:
        text += f"; the last ended at {m['children_done_s']:.1f} s"
    return text + ")"


def ready(m: dict[str, Any]) -> str:
    if m["ready_s"] is None:
        return "—"
    low, high = m["ready_s_range"]
    return f"{m['ready_s']:.2f} ({low:.2f}–{high:.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one run per row, 2 s settle, one decision pass")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, of {','.join(PARTS)} (default: all)")
    parser.add_argument("--repeat", type=int, help="runs per row (default 3; --quick 1)")
    parser.add_argument("--settle", type=float, help="seconds idle after ready before memory "
                        "is read (default 5; --quick 2)")
    parser.add_argument("--passes", type=int, help="decision passes over the clips "
                        "(default 3; --quick 1)")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="also write the figures as JSON to PATH (stdout without PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {unknown}: choose from {','.join(PARTS)}")
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.settle = args.settle if args.settle is not None else (2.0 if args.quick else 5.0)
    args.passes = args.passes or (1 if args.quick else 3)
    root = Path(tempfile.mkdtemp(prefix="lingyin-footprint-"))
    bench = Footprint(args, root)
    began = time.monotonic()
    summary: dict[str, Any] = {}
    try:
        bench.setup()
        bench.rounds()
        if "decision" in args.parts:
            bench.run_decision()
        if "peer" in args.parts:
            bench.run_network()
        summary = bench.report()
    except (RunError, DesktopError, PulseError) as exc:
        bench.problems.append(f"set-up failed: {exc}")
        print(f"\nset-up failed: {exc}", file=sys.stderr)
        summary = bench.report()
    finally:
        bench.close()
        keep = args.keep or bool(bench.problems)
        if keep:
            print(f"\nkept {root} (logs in {root / 'logs'})")
        else:
            shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - began
    print(f"\nwall time {wall / 60:.1f} min; parts {','.join(args.parts)}; "
          f"exit {1 if bench.problems else 0}")
    if args.json:
        document = {"parts": args.parts, "repeat": args.repeat, "settle_s": args.settle,
                    "wall_s": round(wall, 1), "rows": summary, "problems": bench.problems}
        text = json.dumps(document, ensure_ascii=False, indent=1, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 1 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())
