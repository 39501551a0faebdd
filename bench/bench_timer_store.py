"""The timer store under ``kill -9``: a writer process rewrites the store in a loop and is killed
at a random moment, again and again; after every kill the file must parse and hold either the
last write the writer acknowledged or the one after it (nothing lost, nothing corrupted).

    .venv/bin/python -m bench.bench_timer_store [--rounds 200] [--seed 0]

Each write replaces all 40 entries with ones carrying the next counter value, so a torn or mixed
file shows up as several values. Also timed: one locked read-modify-write with its two fsyncs
(the latency of adding a timer), and reading the store back after a kill.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.actions.timer_store import Entry, Kind, TimerStore

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = 40
WRITER = f"""
import sys
from pathlib import Path
from app.actions.timer_store import Entry, Kind, TimerStore

store = TimerStore(Path(sys.argv[1]))

def bump(entries):
    n = int(entries[0].label) + 1 if entries else 1
    return [Entry(f"e{{i:03d}}", Kind.REMINDER, 1e9 + i, 1e9, label=str(n))
            for i in range({ENTRIES})], n

print("ready", flush=True)
while True:
    print(store.mutate(bump), flush=True)
"""


@dataclass
class KillFigures:
    rounds: int = 0
    acknowledged: int = 0  # writes the writer reported done
    unacknowledged: int = 0  # kills after os.replace but before the writer could say so
    interrupted: int = 0  # kills in the middle of a write (its temporary file was left behind)
    corrupt: int = 0  # files that did not parse, or mixed two versions
    lost: int = 0  # files older than what was acknowledged or already on disk
    value: int = 0  # the counter on disk at the end
    read_ms: list[float] = field(default_factory=list)  # reading the store after a kill


def kill_loop(path: Path, rounds: int, seed: int = 0, max_delay: float = 0.06) -> KillFigures:
    """Start a writer on ``path``, kill -9 it after a random delay, check the file; repeat."""
    rng, figures, seen = random.Random(seed), KillFigures(), set[str]()
    for _ in range(rounds):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("the writer did not start")
        time.sleep(rng.uniform(0.0, max_delay))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        acks = [int(x) for x in child.stdout.read().split()]
        child.stdout.close()
        figures.rounds += 1
        figures.acknowledged += len(acks)
        temps = {p.name for p in path.parent.glob(f".{path.name}.*")}
        figures.interrupted += len(temps - seen)
        seen |= temps
        if not path.exists():
            figures.lost += bool(acks or figures.value)
            continue
        began = time.perf_counter()
        found = _check(path, TimerStore(path))
        figures.read_ms.append((time.perf_counter() - began) * 1000)
        if found is None:
            figures.corrupt += 1
            continue
        acknowledged = acks[-1] if acks else figures.value
        figures.lost += found < max(acknowledged, figures.value)
        figures.corrupt += found > acknowledged + 1
        figures.unacknowledged += found == acknowledged + 1
        figures.value = max(figures.value, found)
    return figures


def _check(path: Path, store: TimerStore) -> int | None:
    """The counter the file holds, or None when it does not parse or mixes versions."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except ValueError:
        return None
    labels = {e.get("label") for e in raw.get("entries", [])}
    entries = store.entries()
    if len(labels) != 1 or len(entries) != ENTRIES or len(raw["entries"]) != ENTRIES:
        return None
    return int(labels.pop())


def write_latency(folder: Path, writes: int) -> list[float]:
    """Milliseconds per ``add`` (lock, read, atomic write with two fsyncs)."""
    store = TimerStore(folder / "latency.json")
    out = []
    for i in range(writes):
        began = time.perf_counter()
        store.add(Entry.new(Kind.TIMER, 1e9 + i, 1e9))
        out.append((time.perf_counter() - began) * 1000)
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        latency = write_latency(folder, 100)
        began = time.perf_counter()
        f = kill_loop(folder / "timers.json", args.rounds, args.seed)
        took = time.perf_counter() - began
    print(f"kill -9 loop: {f.rounds} writers killed at random moments in {took:.1f} s; "
          f"{f.acknowledged} writes acknowledged, counter on disk {f.value}")
    print(f"  kills mid-write (temporary left behind): {f.interrupted}; "
          f"after the rename but before the acknowledgement: {f.unacknowledged}")
    print(f"  corrupt or mixed files: {f.corrupt}; lost writes: {f.lost}")
    print(f"  read back after a kill: p50 {_pct(f.read_ms, 50):.2f} ms, "
          f"p95 {_pct(f.read_ms, 95):.2f} ms")
    print(f"  one locked write (2 fsyncs): p50 {_pct(latency, 50):.1f} ms, "
          f"p95 {_pct(latency, 95):.1f} ms")
    return 0 if f.corrupt == 0 and f.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
