"""`lingyin ptt`: toggle push-to-talk in the running Lingyin app (bind it to a desktop shortcut).
The first call starts listening, the next one stops; the app is reached through its local socket
(app/gui/instance.py), never a network port."""

from __future__ import annotations

import argparse
import sys

NOT_RUNNING = ("lingyin ptt: Lingyin is not running. Start the app first with `lingyin` "
               "(no arguments); then `lingyin ptt` toggles push-to-talk in it.")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("ptt", help="toggle push-to-talk in the running Lingyin app")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.gui.instance import send, server_name

    if send(server_name(), "ptt"):
        return 0
    print(NOT_RUNNING, file=sys.stderr)
    return 1
