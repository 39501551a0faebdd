"""`lingyin timers [--json]`: the timers, alarms and reminders that are set (the running Lingyin
fires them; `lingyin run` can add them)."""

from __future__ import annotations

import argparse
import json
import time


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("timers", help="list the timers, alarms and reminders that are set")
    parser.add_argument("--json", action="store_true", help="one JSON object per entry")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.actions.timer_replies import line
    from app.actions.timer_store import TimerStore

    store = TimerStore.default()
    now = time.time()
    entries = store.entries()
    if not entries:
        print("no timers, alarms or reminders are set", flush=True)
    for entry in entries:
        if args.json:
            print(json.dumps(entry.to_json(), ensure_ascii=False), flush=True)
        else:
            print(line(entry, now, several=True), flush=True)
    return 0
