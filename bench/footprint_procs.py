"""Process plumbing for bench/bench_footprint.py: a process's memory from /proc, the moment a
process opens its microphone on the private PulseAudio server, the first paint of a Qt window
from Qt's own log, and the runs themselves (`lingyin listen`, `lingyin` on the private desktop,
and children that print ``ready`` and wait on stdin). Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import stop_process  # tests/person/desktop.py (on sys.path: see bench_footprint)
from lingyin_app import Home

MB = 1024.0
# Qt's painting log: one line per backing-store flush; %{time boot} is CLOCK_MONOTONIC seconds
# (as time.monotonic() here), so the first flush of the main window is the first paint.
QT_PAINT_ENV = {"QT_LOGGING_RULES": "qt.widgets.painting.debug=true",
                "QT_MESSAGE_PATTERN": "%{time boot} %{category} %{message}"}
FIRST_FLUSH = re.compile(r"^\s*(\d+\.\d+) qt\.widgets\.painting Flushing .* of MainWindow\(")
A11Y_KEYS = ("QT_ACCESSIBILITY", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON")


class RunError(RuntimeError):
    """A measured process did not get ready (or died) in time."""


# ---- memory ----------------------------------------------------------------------------------
def memory(pid: int) -> dict[str, float]:
    """RSS and PSS (MB) from /proc/PID/smaps_rollup, and VmRSS / VmHWM from /proc/PID/status."""
    out: dict[str, float] = {}
    wanted = {"Rss": "rss", "Pss": "pss", "Pss_Anon": "pss_anon", "Pss_File": "pss_file"}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            key, _, rest = line.partition(":")
            if key in wanted:
                out[wanted[key]] = round(int(rest.split()[0]) / MB, 1)
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key.lower()] = round(int(rest.split()[0]) / MB, 1)
    return out


class ChildPeaks:
    """The processes a measured process starts (Lingyin builds the lexicon and compiles a large
    grammar in a child Python process, asr/child.py): every ``every`` s, each descendant's
    VmHWM; the highest seen, and how many there were. VmHWM only grows, so the last look before a
    child exits is at most ``every`` s short of its peak."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0.0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="child-peaks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                children = psutil.Process(self.pid).children(recursive=True)
            except psutil.Error:
                children = []
            for child in children:
                with contextlib.suppress(OSError, ValueError):
                    hwm = status_kb(child.pid, "VmHWM") / MB
                    self.seen.add(child.pid)
                    self.peak = max(self.peak, hwm)
            self._stop.wait(self.every)

    def wait_done(self, timeout: float = 180.0) -> float | None:
        """Until the process has no child left (its first-run work is done): the monotonic time
        that happened, None when children still ran after ``timeout`` s."""
        import psutil

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not psutil.Process(self.pid).children(recursive=True):
                    return time.monotonic()
            except psutil.Error:
                return None
            time.sleep(self.every)
        return None

    def stop(self) -> dict[str, float | int]:
        self._stop.set()
        self._thread.join(5)
        return {"children": len(self.seen), "children_peak": round(self.peak, 1)}


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise ValueError(f"no {key} in /proc/{pid}/status")


# ---- the microphone stream -----------------------------------------------------------------
class MicWatch:
    """``pactl subscribe`` on the private server: the first time each process opened a recording
    stream (a source-output whose ``application.process.id`` is its pid), on time.monotonic()."""

    def __init__(self) -> None:
        self.opened: dict[int, float] = {}
        self._cond = threading.Condition()
        self._process = subprocess.Popen(["pactl", "subscribe"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True,
                                         start_new_session=True)
        self._thread = threading.Thread(target=self._read, name="mic-watch", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if "'new' on source-output" not in line:
                continue
            seen = time.monotonic()
            for pid in owners():
                with self._cond:
                    if pid not in self.opened:
                        self.opened[pid] = seen
                        self._cond.notify_all()

    def wait(self, pid: int, timeout: float, alive: Any = None) -> float | None:
        """When ``pid`` opened its microphone (monotonic), None on timeout or when ``alive()``
        says the process is gone."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while pid not in self.opened:
                left = deadline - time.monotonic()
                if left <= 0 or (alive is not None and not alive()):
                    return None
                self._cond.wait(min(left, 0.5))
            return self.opened[pid]

    def close(self) -> None:
        stop_process(self._process)


def owners() -> list[int]:
    """Pids of the processes that have a recording stream on the server now."""
    out = subprocess.run(["pactl", "list", "source-outputs"], capture_output=True, text=True,
                         timeout=10, check=False).stdout
    return [int(pid) for pid in re.findall(r'application\.process\.id = "(\d+)"', out)]


# ---- a user ----------------------------------------------------------------------------------
def new_home(root: Path, cache: Path) -> Home:
    """A fresh user (config, data, home and a short private runtime folder), nothing installed."""
    runtime = Path(tempfile.mkdtemp(prefix="lyfp-"))
    runtime.chmod(0o700)
    home = Home(root, root / "data" / "models", cache, runtime)
    for folder in (home.config, home.data, home.home, cache):
        folder.mkdir(parents=True, exist_ok=True)
    return home


def lingyin(home: Home, *args: str, timeout: float = 900.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(lingyin_path()), *args], env=plain_env(home), cwd=home.home,
                          capture_output=True, text=True, timeout=timeout, check=False)


def install_model(home: Home, shared: Path) -> float:
    """`lingyin models install --from SHARED/models` into the user's private data folder; the
    cache folder is left empty (whatever the install put there is removed: a cold start)."""
    began = time.monotonic()
    done = lingyin(home, "models", "install", "--from", str(shared / "models"))
    if done.returncode != 0:
        raise RunError(f"lingyin models install failed ({done.returncode}): "
                       f"{done.stderr.strip()[-1500:]}")
    return time.monotonic() - began


def empty_cache(home: Home) -> list[str]:
    """Make the cache folder empty; the names that were in it."""
    found = sorted(p.name for p in home.cache.iterdir()) if home.cache.exists() else []
    shutil.rmtree(home.cache, ignore_errors=True)
    home.cache.mkdir(parents=True)
    return found


def lingyin_path() -> Path:
    from lingyin_app import lingyin_bin

    return lingyin_bin()


def plain_env(home: Home, desktop: Any = None, **extra: str) -> dict[str, str]:
    """The user's environment (tests/person Home.env) without Qt's accessibility switches: the
    app as a person starts it, nothing published on the accessibility bus."""
    env = home.env(desktop)
    for key in A11Y_KEYS:
        env.pop(key, None)
    env["ORT_DISABLE_TELEMETRY"] = "1"
    env.update(extra)
    return env


# ---- runs ------------------------------------------------------------------------------------
@dataclass
class Sample:
    """One measured process: seconds from its start, memory (MB) ``settle`` seconds after
    ready (and at the ready moment), and whatever else the run noted."""

    name: str
    ready_s: float | None = None
    mic_s: float | None = None
    painted_s: float | None = None
    at_ready: dict[str, float] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "ready_s": rounded(self.ready_s), "mic_s": rounded(self.mic_s),
               "painted_s": rounded(self.painted_s), "at_ready": self.at_ready,
               "idle": self.idle, **self.extra}
        if self.error:
            out["error"] = self.error
        return out


def rounded(value: float | None, places: int = 3) -> float | None:
    return None if value is None else round(value, places)


def run_listen(name: str, home: Home, watch: MicWatch, log: Path, settle: float,
               timeout: float = 600.0) -> Sample:
    """`lingyin listen --mode wake --json --no-speak` on the private microphone (silence): ready
    is its first ``state`` event in ``wake_listen`` (the listener says it waits for the wake
    phrase); memory ``settle`` seconds later, idle."""
    sample = Sample(name)
    command = [str(lingyin_path()), "listen", "--mode", "wake", "--json", "--no-speak"]
    ready = threading.Event()
    events: list[tuple[float, dict[str, Any]]] = []
    with open(log, "ab") as err:
        err.write(f"\n==== {name} {time.strftime('%H:%M:%S')}\n".encode())
        err.flush()
        started = time.monotonic()
        process = subprocess.Popen(command, env=plain_env(home), cwd=home.home,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                   start_new_session=True)

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            now = time.monotonic()
            with contextlib.suppress(ValueError):
                event = json.loads(raw)
                events.append((now, event))
                if event.get("event") == "state" and event.get("state") == "wake_listen":
                    ready.set()

    reader = threading.Thread(target=read, name="listen-stdout", daemon=True)
    reader.start()
    peaks = ChildPeaks(process.pid)
    try:
        deadline = started + timeout
        while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
            ready.wait(0.2)
        if not ready.is_set():
            why = (f"exited with code {process.returncode}" if process.poll() is not None
                   else f"no wake_listen state within {timeout:.0f} s")
            raise RunError(f"{name}: lingyin listen {why}; see {log}")
        first = next(t for t, e in events if e.get("state") == "wake_listen")
        sample.ready_s = first - started
        sample.at_ready = memory(process.pid)
        opened = watch.wait(process.pid, 10.0, lambda: process.poll() is None)
        sample.mic_s = None if opened is None else opened - started
        time.sleep(settle)
        if peaks.seen:
            done = peaks.wait_done()
            sample.extra["children_done_s"] = rounded(None if done is None else done - started)
        if process.poll() is not None:
            raise RunError(f"{name}: lingyin listen exited while idle; see {log}")
        sample.idle = memory(process.pid)
        sample.extra["events"] = [e.get("event") for _, e in events][:10]
    except RunError as exc:
        sample.error = str(exc)
    finally:
        sample.extra.update(peaks.stop())
        stop_process(process)
        reader.join(5)
    return sample


def run_app(name: str, home: Home, desktop: Any, watch: MicWatch, log: Path, settle: float,
            timeout: float = 600.0) -> Sample:
    """`lingyin` (no arguments) on the private desktop, accessibility off, Qt's painting log on:
    ready is the moment the app opened its microphone on the private server (the core is loaded
    and the listener runs: app/gui/bridge.py starts the listener thread as it tells the window
    it is ready); painted is the first flush of the main window; memory ``settle`` s later."""
    sample = Sample(name)
    env = plain_env(home, desktop, **QT_PAINT_ENV)
    with open(log, "ab") as out:
        out.write(f"\n==== {name} {time.strftime('%H:%M:%S')}\n".encode())
        out.flush()
        offset = out.tell()
        started = time.monotonic()
        process = subprocess.Popen([str(lingyin_path())], env=env, cwd=home.home,
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    peaks = ChildPeaks(process.pid)
    try:
        opened = watch.wait(process.pid, timeout, lambda: process.poll() is None)
        if opened is None:
            why = (f"exited with code {process.returncode}" if process.poll() is not None
                   else f"did not open the microphone within {timeout:.0f} s")
            raise RunError(f"{name}: lingyin {why}; see {log}")
        sample.ready_s = sample.mic_s = opened - started
        sample.at_ready = memory(process.pid)
        time.sleep(settle)
        if peaks.seen:  # the first run's lexicon build goes on after the window is ready
            done = peaks.wait_done()
            sample.extra["children_done_s"] = rounded(None if done is None else done - started)
        if process.poll() is not None:
            raise RunError(f"{name}: lingyin exited while idle; see {log}")
        sample.idle = memory(process.pid)
        sample.painted_s = first_paint(log, offset, started)
    except RunError as exc:
        sample.error = str(exc)
    finally:
        sample.extra.update(peaks.stop())
        stop_process(process, 10.0)
    return sample


def first_paint(log: Path, offset: int, started: float) -> float | None:
    """Seconds from ``started`` to the first flush of the main window in Qt's log."""
    with open(log, "rb") as text:
        text.seek(offset)
        for raw in text:
            found = FIRST_FLUSH.match(raw.decode("utf-8", "replace"))
            if found:
                return float(found.group(1)) - started
    return None


def run_ready_child(name: str, command: list[str], settle: float, env: dict[str, str] | None = None,
                    timeout: float = 120.0) -> Sample:
    """A child that prints ``ready …`` once loaded and then waits for a line on stdin."""
    sample = Sample(name)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout is not None and process.stdin is not None
    try:
        line = ""
        deadline = started + timeout
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                line = process.stdout.readline()
                if line.startswith("ready"):
                    break
        if not line.startswith("ready"):
            err = process.stderr.read() if process.poll() is not None and process.stderr else ""
            raise RunError(f"{name}: no 'ready' line (exit {process.poll()}): {err[-800:]}")
        sample.ready_s = time.monotonic() - started
        sample.at_ready = memory(process.pid)
        text = line[len("ready"):].strip()
        if text.startswith("{"):
            sample.extra.update(json.loads(text))
        else:
            sample.extra.update(dict(part.split("=", 1) for part in text.split() if "=" in part))
        time.sleep(settle)
        sample.idle = memory(process.pid)
        process.stdin.write("\n")
        process.stdin.flush()
        process.wait(10)
    except (RunError, subprocess.TimeoutExpired, OSError) as exc:
        sample.error = str(exc)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    return sample


def network_calls(command: list[str], env: dict[str, str] | None = None,
                  timeout: float = 180.0) -> dict[str, Any]:
    """Run ``command`` under ``strace -f -e trace=network`` (a newline on stdin lets a ready
    child exit); the socket calls it made and the connections it tried to other than local
    (AF_UNIX) sockets."""
    strace = shutil.which("strace")
    if strace is None:
        return {"error": "strace not found: install Debian's strace (packaging/setup.sh does)"}
    with tempfile.NamedTemporaryFile(prefix="footprint-strace-", suffix=".log",
                                     delete=False) as trace:
        path = Path(trace.name)
    done = subprocess.run([strace, "-f", "-qq", "-e", "trace=network", "-o", str(path),
                           *command], env=env, input="\n", capture_output=True, text=True,
                          timeout=timeout, check=False)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    path.unlink(missing_ok=True)
    calls = [line for line in lines if re.search(r"\b(socket|connect|sendto|sendmsg|bind)\(",
                                                 line)]
    outward = [line for line in calls if re.search(r"\b(connect|sendto|sendmsg)\(", line)
               and re.search(r"AF_INET6?|sin6?_addr|inet_", line)]
    return {"exit": done.returncode, "network_calls": len(calls),
            "inet_connections": outward[:20],
            "sockets": sorted({m.group(1) for line in calls
                               if (m := re.search(r"socket\((AF_\w+)", line))}),
            "error": "" if "ready" in done.stdout else f"no ready line: {done.stderr[-500:]}"}
