"""Where the volume really lives: one ``VolumeBackend`` per platform, each reading and writing
the default output device.

PulseAudio or PipeWire (whose ``pipewire-pulse`` speaks the same protocol) through ``pulsectl`` on
Linux, Core Audio through ``pycaw`` on Windows, ``osascript`` on macOS. Each is import-guarded:
a missing library, sound server or output device raises ``NoAudioOutput`` with a reason for the
user and a cause for the log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from app.actions._platform import Runner, run
from app.pulse_client import pulse_class


@dataclass(frozen=True)
class Level:
    percent: int
    muted: bool


class NoAudioOutput(Exception):
    """No sound server or output device. ``reason`` is for the user, the message for the log."""

    def __init__(self, reason: str, cause: str) -> None:
        super().__init__(cause)
        self.reason = reason


class VolumeBackend(Protocol):
    def read(self) -> Level: ...
    def set_percent(self, percent: int) -> None: ...
    def set_muted(self, muted: bool) -> None: ...


class PulseBackend:
    """The default sink of a PulseAudio/PipeWire server (``server`` None: libpulse's choice,
    which honours ``PULSE_SERVER``), one short connection per operation."""

    def __init__(self, server: str | None = None, timeout: float = 3.0) -> None:
        self.server = server
        self.timeout = timeout

    @contextmanager
    def _sink(self) -> Iterator[tuple[Any, Any]]:
        try:
            import pulsectl
        except (ImportError, OSError) as error:  # OSError: libpulse.so.0 is missing
            raise NoAudioOutput("没有可用的声音服务程序库",
                                f"pulsectl unavailable: {error}") from error
        where = self.server or os.environ.get("PULSE_SERVER") or "the default server"
        try:
            with pulse_class()("lingyin", server=self.server, connect=False) as pulse:
                try:
                    pulse.connect(timeout=self.timeout)
                except pulsectl.PulseError as error:
                    raise NoAudioOutput("连不上声音服务（PulseAudio/PipeWire）",
                                        f"{error} ({where})") from error
                name = pulse.server_info().default_sink_name
                if not name:
                    raise NoAudioOutput("没有默认的输出设备", f"{where} has no default sink")
                yield pulse, pulse.get_sink_by_name(name)
        except (pulsectl.PulseError, pulsectl.PulseDisconnected) as error:
            raise NoAudioOutput("声音服务出错了", f"{type(error).__name__}: {error} ({where})") \
                from error

    def read(self) -> Level:
        with self._sink() as (pulse, sink):
            return Level(round(pulse.volume_get_all_chans(sink) * 100), bool(sink.mute))

    def set_percent(self, percent: int) -> None:
        with self._sink() as (pulse, sink):
            pulse.volume_set_all_chans(sink, percent / 100)

    def set_muted(self, muted: bool) -> None:
        with self._sink() as (pulse, sink):
            pulse.mute(sink, muted)


class WindowsBackend:
    """The default render endpoint through pycaw (COM is initialised on the calling thread)."""

    @contextmanager
    def _endpoint(self) -> Iterator[Any]:
        try:
            import comtypes
            from pycaw.pycaw import AudioUtilities, IAudioEndpointVolume
        except ImportError as error:
            raise NoAudioOutput("没有可用的声音程序库", f"pycaw unavailable: {error}") from error
        comtypes.CoInitialize()
        try:
            device = AudioUtilities.GetSpeakers()
            endpoint = getattr(device, "EndpointVolume", None)  # pycaw ≥ 2024
            if endpoint is None:
                interface = device.Activate(IAudioEndpointVolume._iid_, comtypes.CLSCTX_ALL, None)
                endpoint = interface.QueryInterface(IAudioEndpointVolume)
            yield endpoint
        except (OSError, AttributeError, comtypes.COMError) as error:
            raise NoAudioOutput("没有默认的输出设备", f"Core Audio: {error}") from error
        finally:
            comtypes.CoUninitialize()

    def read(self) -> Level:
        with self._endpoint() as endpoint:
            return Level(round(endpoint.GetMasterVolumeLevelScalar() * 100),
                         bool(endpoint.GetMute()))

    def set_percent(self, percent: int) -> None:
        with self._endpoint() as endpoint:
            endpoint.SetMasterVolumeLevelScalar(percent / 100, None)

    def set_muted(self, muted: bool) -> None:
        with self._endpoint() as endpoint:
            endpoint.SetMute(int(muted), None)


class MacBackend:
    """``osascript`` (AppleScript's volume settings); ``runner`` runs the argument lists."""

    def __init__(self, runner: Runner = run) -> None:
        self.runner = runner

    def _script(self, *lines: str) -> str:
        argv = ["osascript"]
        for line in lines:
            argv += ["-e", line]
        result = self.runner(argv)
        if not result.ok:
            raise NoAudioOutput("系统没有回应音量设置", result.cause(argv))
        return result.output.strip()

    def read(self) -> Level:
        text = self._script("set s to get volume settings",
                            'return (output volume of s as text) & ","'
                            ' & (output muted of s as text)')
        volume, _, muted = text.partition(",")
        if not volume.strip().isdigit():  # "missing value": an output without a volume
            raise NoAudioOutput("当前的输出设备不能调音量", f"osascript said {text!r}")
        return Level(int(volume), muted.strip() == "true")

    def set_percent(self, percent: int) -> None:
        self._script(f"set volume output volume {int(percent)}")

    def set_muted(self, muted: bool) -> None:
        self._script(f"set volume {'with' if muted else 'without'} output muted")


class UnsupportedBackend:
    def __init__(self, platform: str) -> None:
        self.platform = platform

    def _fail(self) -> NoAudioOutput:
        return NoAudioOutput("这个系统还不支持调音量", f"no volume backend for {self.platform}")

    def read(self) -> Level:
        raise self._fail()

    def set_percent(self, percent: int) -> None:
        raise self._fail()

    def set_muted(self, muted: bool) -> None:
        raise self._fail()


def default_backend(platform: str = sys.platform) -> VolumeBackend:
    if platform.startswith("linux"):
        return PulseBackend()
    if platform == "win32":
        return WindowsBackend()
    if platform == "darwin":
        return MacBackend()
    return UnsupportedBackend(platform)
