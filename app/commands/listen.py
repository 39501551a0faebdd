"""`lingyin listen`: the live listener from the command line (microphone or a file).

``lingyin listen [--mode ptt|wake] [--wake PHRASE[:SENSITIVITY]]... [--device D] [--input FILE]
[--fast] [--follow-up SECONDS] [--command-timeout SECONDS] [--no-speak] [--grammar PATH]
[--lists DIR] [--json]`` prints one event per line (``{"event": …, "t": …}`` with ``--json``;
see app/listener/events.py). In push-to-talk mode from a terminal, Enter starts and stops a
capture; with ``--input`` the whole file is one press. ``--fast`` replays the file in audio time:
the same file gives the same events however busy the machine (decisions and replies take no
audio time). Ctrl-C ends it cleanly.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from app.commands import options
from app.listener.events import ListenerEvent
from app.listener.machine import MachineConfig, Mode

DEFAULT_WAKE = "你好小灵"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("listen", help="listen to the microphone (or a file) for commands")
    parser.add_argument("--mode", choices=("ptt", "wake"), default="ptt",
                        help="push-to-talk (Enter starts/stops) or wake word (default ptt)")
    parser.add_argument("--wake", action="append", metavar="PHRASE[:X]",
                        help=f"wake phrase, optionally with sensitivity 0..1 (default "
                             f"{DEFAULT_WAKE}); repeat for several")
    parser.add_argument("--device", help="input device: index or part of its name "
                        "(`lingyin devices` lists them; default: the system's)")
    parser.add_argument("--allow-monitor", action="store_true",
                        help="allow recording a loudspeaker's monitor (the computer's own "
                        "output); without it a microphone moved onto a monitor counts as gone")
    parser.add_argument("--input", type=Path, metavar="FILE",
                        help="listen to an audio file instead of the microphone")
    parser.add_argument("--fast", action="store_true",
                        help="with --input: as fast as it decodes instead of in real time (the "
                             "same events every run: decisions and replies take no audio time)")
    parser.add_argument("--chunk", type=int, default=512, help=argparse.SUPPRESS)
    parser.add_argument("--follow-up", type=options.seconds, default=0.0, metavar="SECONDS",
                        help="after every reply, listen this long without the wake word")
    parser.add_argument("--command-timeout", type=options.seconds, default=5.0,
                        metavar="SECONDS", help="after the wake word or a press, wait this long "
                        "for the command to begin (default 5)")
    parser.add_argument("--no-speak", action="store_true", help="print replies, do not say them")
    parser.add_argument("--chime", action="store_true", help="a short beep after the wake word")
    parser.add_argument("--grammar", type=Path, help="grammar file or folder")
    parser.add_argument("--lists", type=Path, help="folder of list files")
    parser.add_argument("--vad", choices=("webrtc", "silero"), default="webrtc")
    parser.add_argument("--vad-aggressiveness", type=options.aggressiveness, default=2)
    parser.add_argument("--hangover", type=options.seconds, default=None, metavar="SECONDS",
                        help="end every utterance after this much silence instead of asking "
                             "the grammar whether the command is complete")
    parser.add_argument("--dry-run", action="store_true",
                        help="describe what each action would do instead of doing it")
    parser.add_argument("--no-actions", action="store_true",
                        help="only understand: reply with the grammar's reply template")
    parser.add_argument("--model-dir", type=Path, help="model folder (default: the installed one)")
    parser.add_argument("--json", action="store_true", help="one JSON object per event")
    parser.set_defaults(func=run)


def printer(as_json: bool) -> Any:
    lock = threading.Lock()

    def show(event: ListenerEvent) -> None:
        line = (json.dumps(event.to_json(), ensure_ascii=False) if as_json
                else event.describe())
        with lock:
            print(line, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    from app.listener.assemble import ListenerOptions, build_listener

    if args.fast and args.input is None:
        raise SystemExit("lingyin listen: error: --fast needs --input FILE")
    listener_options = ListenerOptions(
        machine=MachineConfig(mode=Mode(args.mode), hold=args.input is not None,
                              follow_up=args.follow_up, chime=args.chime,
                              command_timeout=args.command_timeout),
        wake=args.wake or ([DEFAULT_WAKE] if args.mode == "wake" else []),
        device=args.device, allow_monitor=args.allow_monitor, input=args.input,
        fast=args.fast, chunk=args.chunk,
        speak=not args.no_speak, grammar=args.grammar, lists=args.lists, vad=args.vad,
        vad_aggressiveness=args.vad_aggressiveness, hangover=args.hangover,
        model_dir=args.model_dir)
    show = printer(args.json)
    if args.no_actions:
        assembled: Any = build_listener(listener_options, show)
    else:
        from app.assistant.live import build_live

        logging.basicConfig(format="lingyin: %(name)s: %(message)s", level=logging.WARNING)
        assembled = build_live(listener_options, show, dry_run=args.dry_run)
    listener = assembled.listener
    if args.mode == "ptt":
        if args.input is not None:
            listener.press()  # the whole file is one press
        elif sys.stdin.isatty():
            print("press Enter to start speaking and Enter again to stop (Ctrl-C quits)",
                  file=sys.stderr, flush=True)
            threading.Thread(target=_enter_toggles, args=(listener,), daemon=True).start()
    try:
        listener.run()
    except KeyboardInterrupt:
        pass
    finally:
        assembled.close()
    return 0


def _enter_toggles(listener: Any) -> None:
    for _ in sys.stdin:
        listener.press()
