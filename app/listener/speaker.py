"""Spoken replies: text → speech (app/listener/tts.py) → PortAudio, with exact start and end.

``Speaker.speak(text)`` queues a reply and returns its id at once. One playback thread renders
and plays the replies in turn and calls, from that thread:

- ``on_start(reply_id, audio_seconds)`` once PortAudio has taken the first block (it is audible
  within the output latency);
- ``on_end(reply_id, interrupted)`` once PortAudio's clock says the last sample has left the
  device (the stream is kept running on silence until the output latency has passed, because
  PortAudio's "finished" only means the data was handed over; through ALSA's pulse plugin that is
  ~one latency early). It fires for every reply, also a cut-off, dropped or failed one
  (``interrupted=True``), so a caller waiting for the end never waits forever;
- ``on_error(message)`` when speech cannot be rendered or played, naming the device and the fix.

``stop()`` fades the current reply out within a few milliseconds and drops the queued ones.
Without an output device everything but the sound still works: ``render()`` and the callbacks.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.listener.tts import RenderOptions, SpeechError, render
from asr.audio import Samples, resample

log = logging.getLogger(__name__)

FADE_SECONDS = 0.01
CHIME_RATE = 22050


@dataclass(frozen=True)
class SpeakerSettings:
    enabled: bool = True  # False: nothing is rendered or played; on_start/on_end still fire
    voice: str | None = None  # a pyttsx3 voice id; None: the best Mandarin voice there is
    rate: int = 175  # words per minute
    volume: float = 1.0  # 0 … 1, applied to the samples
    device: str | int | None = None  # PortAudio output device (name part or index); None: default
    interrupt: bool = False  # a reply while one plays: False queues it, True cuts the current one
    latency: float = 0.1  # PortAudio output latency in seconds (ALSA's pulse underruns below ~0.03)
    render_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"speech volume must be between 0 and 1, got {self.volume}")
        if not 40 <= self.rate <= 500:
            raise ValueError(f"speech rate must be 40-500 words per minute, got {self.rate}")
        if not 0.0 < self.latency <= 2.0:
            raise ValueError(f"output latency must be in (0, 2] seconds, got {self.latency}")
        if self.render_timeout <= 0:
            raise ValueError(f"render timeout must be positive, got {self.render_timeout}")


def chime_samples(rate: int = CHIME_RATE, level: float = 0.25) -> Samples:
    """A soft rising two-tone beep (~150 ms): 880 Hz then 1320 Hz, each with smooth edges."""
    parts = []
    for frequency, seconds in ((880.0, 0.065), (1320.0, 0.075)):
        t = np.arange(int(rate * seconds)) / rate
        parts.append(np.sin(2 * np.pi * frequency * t) * np.hanning(len(t)) * level)
        parts.append(np.zeros(int(rate * 0.005)))
    return np.concatenate(parts).astype(np.float32)


@dataclass
class _Job:
    reply_id: int
    text: str | None = None  # rendered when its turn comes
    audio: tuple[Samples, int] | None = None  # or ready to play
    announce: bool = True  # False for the chime: no on_start/on_end


class _Playback:
    """The PortAudio callback's state for one clip (touched by the callback thread)."""

    def __init__(self, samples: Samples, rate: int, latency: float, done: type[Exception]) -> None:
        self.samples = samples
        self.done = done  # sounddevice.CallbackStop
        self.rate = rate
        self.latency = latency
        self.position = 0
        self.stop_requested = False
        self.interrupted = False
        self.end_time: float | None = None  # PortAudio time the last sample leaves the device
        self.tail_frames = 0
        self.started = threading.Event()
        self.finished = threading.Event()

    def callback(self, out: Any, frames: int, timing: Any, status: Any) -> None:
        self.started.set()
        out.fill(0)
        now = float(timing.currentTime)
        delay = max(float(timing.outputBufferDacTime) - now, self.latency)
        if self.end_time is not None:
            self.tail_frames += frames
            if now >= self.end_time or self.tail_frames > (2 * delay + 0.5) * self.rate:
                raise self.done  # the second test guards against a clock that does not move
            return
        left = self.samples[self.position :]
        if self.stop_requested and len(left):
            fade = min(frames, len(left), int(self.rate * FADE_SECONDS))
            out[:fade, 0] = left[:fade] * np.linspace(1.0, 0.0, fade, dtype=np.float32)
            self.interrupted = True
            self.position = len(self.samples)
            self.end_time = now + delay + fade / self.rate
            return
        count = min(frames, len(left))
        out[:count, 0] = left[:count]
        self.position += count
        if self.position >= len(self.samples):
            self.end_time = now + delay + count / self.rate


class Speaker:
    """Renders replies and plays them through sounddevice, one at a time (see the module doc)."""

    def __init__(self, settings: SpeakerSettings | None = None, *,
                 on_start: Callable[[int, float], None] | None = None,
                 on_end: Callable[[int, bool], None] | None = None,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.settings = settings or SpeakerSettings()
        self.on_start = on_start
        self.on_end = on_end
        self.on_error = on_error
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: list[_Job] = []
        self._wakeup = threading.Condition(self._lock)
        self._cancel_upto = 0  # replies with an id up to this one are dropped
        self._current: _Playback | None = None
        self._busy = False  # a job is being rendered or played
        self._pending: dict[int, threading.Event] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="speaker-playback", daemon=True)
        self._thread.start()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- any thread ---------------------------------------------------------------------------
    def render(self, text: str) -> tuple[Samples, int]:
        """Speech for ``text`` (float32 mono, rate); raises SpeechError. Usable on its own."""
        options = RenderOptions(voice=self.settings.voice, rate=self.settings.rate)
        return render(text, options, timeout=self.settings.render_timeout)

    def speak(self, text: str) -> int:
        """Queue a reply (or cut the current one, with ``interrupt``); returns its id at once."""
        if not text.strip():
            raise ValueError("a reply needs some text to say")
        return self._submit(_Job(0, text=text))

    def play(self, samples: Samples, rate: int) -> int:
        """Queue ready-made audio like a reply (same callbacks)."""
        return self._submit(_Job(0, audio=(np.asarray(samples, dtype=np.float32), rate)))

    def chime(self) -> None:
        """A short soft beep, queued like a reply but without on_start/on_end."""
        self._submit(_Job(0, audio=(chime_samples(), CHIME_RATE), announce=False))

    def say_and_wait(self, text: str, timeout: float) -> bool:
        """Speak and block until playback ended (True) or ``timeout`` passed (False)."""
        return self.wait(self.speak(text), timeout)

    def wait(self, reply_id: int, timeout: float) -> bool:
        with self._lock:
            done = self._pending.get(reply_id)
        return True if done is None else done.wait(timeout)

    def stop(self) -> None:
        """Cut the current reply short and drop the queued ones (each gets on_end interrupted)."""
        with self._lock:
            self._stop_locked()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or playing (True) or ``timeout`` passed (False)."""
        with self._lock:
            return self._wakeup.wait_for(lambda: not (self._busy or self._jobs), timeout)

    @property
    def speaking(self) -> bool:
        """A reply (or the chime) is being rendered, played or waits its turn."""
        with self._lock:
            return self._busy or bool(self._jobs)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stop_locked()
            self._closed = True
            self._wakeup.notify_all()
        self._thread.join(timeout)

    def _submit(self, job: _Job) -> int:
        with self._lock:
            if self._closed:
                raise RuntimeError("the speaker is closed")
            if self.settings.interrupt:
                self._stop_locked()
            job.reply_id = next(self._ids)
            self._pending[job.reply_id] = threading.Event()
            self._jobs.append(job)
            self._wakeup.notify_all()
            return job.reply_id

    def _stop_locked(self) -> None:
        self._cancel_upto = max([self._cancel_upto, *self._pending])
        if self._current is not None:
            self._current.stop_requested = True

    # ---- the playback thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._jobs and not self._closed:
                    self._wakeup.wait()
                if not self._jobs:
                    return
                job = self._jobs.pop(0)
                self._busy = True
            try:
                self._do(job)
            except Exception as error:  # never let one reply kill the thread
                log.exception("speaker: reply %d failed", job.reply_id)
                self._report(f"speech failed: {error}")
                self._finish(job, interrupted=True)
            with self._lock:
                self._busy = False
                self._wakeup.notify_all()

    def _cancelled(self, job: _Job) -> bool:
        with self._lock:
            return job.reply_id <= self._cancel_upto

    def _do(self, job: _Job) -> None:
        if self._cancelled(job):
            self._finish(job, interrupted=True)
            return
        if not self.settings.enabled:
            self._call(self.on_start, job, job.reply_id, 0.0)
            self._finish(job, interrupted=False)
            return
        audio = job.audio
        if audio is None:
            assert job.text is not None
            try:
                audio = self.render(job.text)
            except SpeechError as error:
                self._report(f"cannot say {job.text!r}: {error}")
                self._finish(job, interrupted=True)
                return
        if self._cancelled(job):
            self._finish(job, interrupted=True)
            return
        samples, rate = audio
        self._finish(job, interrupted=self._play(job, samples * self.settings.volume, rate))

    def _play(self, job: _Job, samples: Samples, rate: int) -> bool:
        """Play through PortAudio until the last sample left the device; True if cut short."""
        playback: _Playback | None = None
        try:
            stream, playback = self._open(samples, rate)
        except Exception as error:
            self._report(self._device_problem(error))
            return True
        with self._lock:
            self._current = playback
            if job.reply_id <= self._cancel_upto:
                playback.stop_requested = True
        try:
            stream.start()
            if not playback.started.wait(2.0 + self.settings.latency):
                raise SpeechError("the device took no audio for 2 s")
            self._call(self.on_start, job, job.reply_id, len(samples) / rate)
            limit = len(samples) / rate + 4 * stream.latency + 3.0
            if not playback.finished.wait(limit):
                raise SpeechError(f"playback did not finish within {limit:.1f} s")
            if playback.end_time is None:  # PortAudio gave up: the device went away
                raise SpeechError("the device stopped in the middle of the reply")
            return playback.interrupted
        except Exception as error:
            self._report(self._device_problem(error))
            return True
        finally:
            with self._lock:
                self._current = None
            try:
                if not playback.finished.is_set():
                    stream.abort()
                stream.close()
            except Exception:
                log.debug("speaker: closing the output stream failed", exc_info=True)

    def _open(self, samples: Samples, rate: int) -> tuple[Any, _Playback]:
        """An output stream at the audio's rate, or at the device's own rate (resampled)."""
        import sounddevice

        device = self.settings.device
        try:
            return self._stream(sounddevice, samples, rate)
        except sounddevice.PortAudioError:
            native = int(sounddevice.query_devices(device, "output")["default_samplerate"])
            if native == rate:
                raise
            return self._stream(sounddevice, resample(samples, rate, native), native)

    def _stream(self, sounddevice: Any, samples: Samples, rate: int) -> tuple[Any, _Playback]:
        playback = _Playback(samples, rate, self.settings.latency, sounddevice.CallbackStop)
        stream = sounddevice.OutputStream(
            samplerate=rate, channels=1, dtype="float32", device=self.settings.device,
            latency=self.settings.latency, callback=playback.callback,
            finished_callback=playback.finished.set)
        playback.latency = max(float(stream.latency), self.settings.latency)
        return stream, playback

    def _device_problem(self, error: Exception) -> str:
        device = self.settings.device
        name = f"output device {device!r}" if device is not None else "the default output device"
        return (f"cannot play speech on {name}: {error}. Check that it is connected and not in "
                "use, pick another output device in the settings, or turn spoken replies off; "
                "replies are still shown as text")

    def _report(self, message: str) -> None:
        log.warning("speaker: %s", message)
        if self.on_error is not None:
            try:
                self.on_error(message)
            except Exception:
                log.exception("speaker: on_error callback failed")

    def _call(self, callback: Callable[..., None] | None, job: _Job, *args: Any) -> None:
        if callback is None or not job.announce:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("speaker: callback %s failed", getattr(callback, "__name__", callback))

    def _finish(self, job: _Job, interrupted: bool) -> None:
        self._call(self.on_end, job, job.reply_id, interrupted)
        with self._lock:
            done = self._pending.pop(job.reply_id, None)
        if done is not None:
            done.set()
