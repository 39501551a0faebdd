"""`lingyin devices [--json]`: the input devices PortAudio sees (index, name, channels, default
rate, host API; the default one marked)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("devices", help="list microphones (input devices)")
    parser.add_argument("--json", action="store_true", help="one JSON object per device")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.listener.sources import input_devices

    devices = input_devices()
    if not devices:
        print("no input devices found: connect a microphone, or check that the audio server "
              "(PulseAudio/PipeWire) is running", flush=True)
        return 1
    for device in devices:
        if args.json:
            print(json.dumps(asdict(device), ensure_ascii=False), flush=True)
        else:
            mark = "*" if device.is_default else " "
            print(f"{mark} {device.index:3d}  {device.name}  ({device.channels} ch, "
                  f"{device.default_rate:.0f} Hz, {device.host_api})", flush=True)
    return 0
