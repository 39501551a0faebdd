"""Where audio comes from: one ``AudioSource`` interface, a microphone and a file.

Every source delivers 16 kHz mono ``AudioChunk``s whose ``timestamp`` is audio time from the start
of the stream. The microphone's PortAudio callback only copies samples into a bounded queue; the
listener's worker reads them. Nothing is dropped silently: a full queue and PortAudio's own input
overflows are counted (``take_overflows``) and the listener reports them as events.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.listener.monitor_guard import MonitorGuard, monitor_chosen
from asr.audio import SAMPLE_RATE, AudioChunk, Samples, load_audio
from asr.errors import LingyinError


class DeviceError(LingyinError):
    """A microphone that is missing, cannot be opened, or stopped delivering audio."""


class AudioSource(Protocol):
    name: str

    def open(self) -> None: ...

    def read(self, timeout: float) -> AudioChunk | None:
        """The next chunk, or None when none arrived within ``timeout`` seconds (or at the end
        of a file: then ``finished`` is True). Raises DeviceError when the device is gone."""
        ...

    def close(self) -> None: ...

    @property
    def finished(self) -> bool: ...

    def take_overflows(self) -> int: ...


class FileSource:
    """Any file ``load_audio`` reads, replayed in real time, or with ``fast`` as fast as the
    consumer takes it. Timestamps are positions in the file either way."""

    def __init__(self, path: str | Path, chunk_samples: int = 512, fast: bool = False,
                 samples: Samples | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if chunk_samples <= 0:
            raise ValueError(f"chunk size must be positive, got {chunk_samples}")
        self.name = str(path)
        self.path = Path(path)
        self.chunk_samples = chunk_samples
        self.fast = fast
        self._samples = samples
        self._clock, self._sleep = clock, sleep
        self._position = 0
        self._started = 0.0

    def open(self) -> None:
        if self._samples is None:
            self._samples = load_audio(self.path)
        self._started = self._clock() - self._position / SAMPLE_RATE

    @property
    def finished(self) -> bool:
        return self._samples is not None and self._position >= len(self._samples)

    def read(self, timeout: float) -> AudioChunk | None:
        if self._samples is None:
            raise DeviceError(f"{self.name}: the file source is not open")
        if self.finished:
            return None
        start = self._position
        end = min(start + self.chunk_samples, len(self._samples))
        if not self.fast:
            due = self._started + end / SAMPLE_RATE  # a microphone hands a block over when full
            wait = due - self._clock()
            if wait > timeout:
                self._sleep(timeout)
                return None
            if wait > 0:
                self._sleep(wait)
        self._position = end
        return AudioChunk(self._samples[start:end], SAMPLE_RATE, start / SAMPLE_RATE)

    def close(self) -> None:
        """Nothing to release; the position is kept (a reopened file resumes)."""

    def take_overflows(self) -> int:
        return 0


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: float
    is_default: bool
    host_api: str


def input_devices() -> list[InputDevice]:
    import sounddevice as sd

    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception as exc:  # PortAudio raises its own errors
        raise DeviceError(f"cannot list audio devices: {exc}; is PortAudio (libportaudio2) "
                          "installed and an audio server running?") from exc
    found = []
    for info in devices:
        if int(info["max_input_channels"]) <= 0:
            continue
        index = int(info["index"])
        found.append(InputDevice(index, str(info["name"]), int(info["max_input_channels"]),
                                 float(info["default_samplerate"]), index == default_in,
                                 str(apis[int(info["hostapi"])]["name"])))
    return found


def find_device(spec: str | int | None) -> InputDevice:
    """An input device by index, by name substring (case-insensitive), or the default."""
    devices = input_devices()
    if not devices:
        raise DeviceError("no microphone found: connect one (or check the audio server) and "
                          "Lingyin will pick it up; `lingyin devices` lists what it sees")
    if spec is None or spec == "":
        chosen = next((d for d in devices if d.is_default), devices[0])
        return chosen
    if isinstance(spec, int) or str(spec).isdigit():
        index = int(spec)
        match = [d for d in devices if d.index == index]
    else:
        text = str(spec).lower()
        match = [d for d in devices if d.name.lower() == text]
        match = match or [d for d in devices if text in d.name.lower()]
    if not match:
        names = ", ".join(f"{d.index}: {d.name}" for d in devices)
        raise DeviceError(f"no input device {spec!r}; available: {names}. Pick one with "
                          "--device (index or part of the name) or connect it")
    return match[0]


class MicrophoneSource:
    """A PortAudio input device through sounddevice: 16 kHz mono, or the device's own rate
    resampled with a soxr stream when it cannot open at 16 kHz (``hw:`` devices, some PipeWire
    set-ups). ``stall_seconds`` without audio from an open stream means the device is gone."""

    def __init__(self, device: str | int | None = None, block_samples: int = 512,
                 queue_blocks: int = 200, stall_seconds: float = 1.0, *,
                 allow_monitor: bool = False, guard: MonitorGuard | None = None,
                 guard_seconds: float = 1.0) -> None:
        self.device_spec = device
        # a loudspeaker's monitor (the computer's own output) only when chosen on purpose
        self.allow_monitor = allow_monitor or monitor_chosen()
        self.guard = guard if guard is not None or self.allow_monitor else MonitorGuard()
        self.guard_seconds = guard_seconds
        self._guarded_at = -math.inf
        self.name = str(device) if device not in (None, "") else "the default microphone"
        self.block_samples = block_samples
        self.stall_seconds = stall_seconds
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=queue_blocks)
        self._stream: Any = None
        self._resampler: Any = None
        self._overflows = 0
        self._position = 0
        self._last_data = 0.0
        self._got_data = False
        self.rate = SAMPLE_RATE

    def open(self) -> None:
        import sounddevice as sd

        self.close()
        device = find_device(self.device_spec)
        self.name = device.name
        errors = []
        for rate in dict.fromkeys((SAMPLE_RATE, int(device.default_rate))):
            try:
                blocksize = self.block_samples * rate // SAMPLE_RATE
                stream = sd.InputStream(device=device.index, samplerate=rate, channels=1,
                                        dtype="float32", blocksize=blocksize,
                                        callback=self._callback)
                stream.start()
            except Exception as exc:  # PortAudioError or an invalid-rate ValueError
                errors.append(f"{rate} Hz: {exc}")
                continue
            self._stream, self.rate = stream, rate
            self._resampler = None
            if rate != SAMPLE_RATE:
                import soxr

                self._resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
            self._last_data = time.monotonic()
            self._got_data = False
            self._guarded_at = -math.inf
            try:
                self._check_source()  # before any block counts
            except DeviceError:
                self.close()
                raise
            return
        raise DeviceError(f"cannot open the microphone {device.name!r} ({'; '.join(errors)}); "
                          "check that no other program holds it exclusively, or pick another "
                          "with --device")

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and status.input_overflow:
            self._overflows += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self._overflows += 1

    @property
    def finished(self) -> bool:
        return False

    def read(self, timeout: float) -> AudioChunk | None:
        if self._stream is None:
            raise DeviceError(f"the microphone {self.name!r} is not open")
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            self._check_alive()
            return None
        self._last_data = time.monotonic()
        self._got_data = True
        self._check_source()
        if self._resampler is not None:
            block = np.asarray(self._resampler.resample_chunk(block), dtype=np.float32)
        chunk = AudioChunk(block, SAMPLE_RATE, self._position / SAMPLE_RATE)
        self._position += len(block)
        return chunk

    def _check_alive(self) -> None:
        stream = self._stream
        silent_for = time.monotonic() - self._last_data
        # the first block may take longer (a monitor source, a server waking the device up)
        allowed = self.stall_seconds * (1.0 if self._got_data else 3.0)
        if not stream.active or silent_for > allowed:
            self._guarded_at = -math.inf
            self._check_source()  # a stall while the server moves the stream to a monitor
            why = "stopped" if not stream.active else f"sent no audio for {silent_for:.1f} s"
            raise DeviceError(f"the microphone {self.name!r} {why} (unplugged or taken away?); "
                              "Lingyin keeps trying and listens again as soon as it is back")

    def _check_source(self) -> None:
        """Every ``guard_seconds``: a recording moved onto a monitor means the microphone is
        gone (module monitor_guard); its audio is never used."""
        now = time.monotonic()
        if self.guard is None or now - self._guarded_at < self.guard_seconds:
            return
        self._guarded_at = now
        monitor = self.guard.monitor_in_use()
        if monitor is None:
            return
        while not self._queue.empty():
            self._queue.get_nowait()
        raise DeviceError(
            f"the microphone {self.name!r} is gone: the audio server switched Lingyin to "
            f"{monitor!r}, the computer's own output, which Lingyin does not listen to; connect "
            "a microphone or choose one in the sound settings (to record the output on purpose: "
            "lingyin listen --allow-monitor)")

    def skip_to(self, seconds: float) -> None:
        """Continue the stream's audio time at ``seconds`` (after a reconnect, so time stays
        close to wall time)."""
        self._position = max(self._position, round(seconds * SAMPLE_RATE))

    @property
    def position(self) -> float:
        return self._position / SAMPLE_RATE

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception:  # a vanished device may fail to close; it is gone either way
                pass
        while not self._queue.empty():
            self._queue.get_nowait()

    def take_overflows(self) -> int:
        count, self._overflows = self._overflows, 0
        return count
