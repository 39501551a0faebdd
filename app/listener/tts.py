"""Text → audio for the speaker: pyttsx3 renders a WAV, or else espeak-ng on the command line.

pyttsx3 engines are not thread-safe, and on Linux every engine drives the one espeak-ng library
state of the process (``pyttsx3.init`` even hands out the same cached engine). So the process has
one engine thread that owns the only engine and renders every request, one at a time. A render
that does not finish in time (``runAndWait`` hangs in some pyttsx3 versions) abandons that thread
for good and every later render runs ``espeak-ng`` instead.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asr.audio import Samples, to_mono_float
from asr.errors import LingyinError

log = logging.getLogger(__name__)

ESPEAK_VOICE = "cmn-latn-pinyin"
# espeak-ng 1.51's `cmn` voice reads Hanzi as pinyin with the tone digits in English
BROKEN_VOICES = frozenset({"sit/cmn", "cmn"})
_MANDARIN_HINTS = ("cmn-latn-pinyin", "zh-cn", "zh_cn", "zh-hans", "mandarin", "chinese", "cmn",
                   "zh")
_NOT_MANDARIN = ("yue", "cantonese", "jyutping", "zh-hk", "zh_hk")


class SpeechError(LingyinError):
    """Text that could not be turned into audio (no engine, no voice, nothing audible)."""


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str = ""
    languages: tuple[str, ...] = ()


def choose_voice(voices: Iterable[VoiceInfo]) -> str | None:
    """The id of the best Mandarin voice, or None (then the engine's default voice is used)."""
    best: tuple[int, str] | None = None
    for voice in voices:
        text = " ".join((voice.id, voice.name, *voice.languages)).lower()
        if voice.id.lower() in BROKEN_VOICES or any(bad in text for bad in _NOT_MANDARIN):
            continue
        for rank, hint in enumerate(_MANDARIN_HINTS):
            if hint in text and (best is None or rank < best[0]):
                best = (rank, voice.id)
                break
    return best[1] if best else None


@dataclass(frozen=True)
class RenderOptions:
    voice: str | None = None  # an engine voice id; None: the best Mandarin voice, else default
    rate: int = 175  # words per minute (espeak-ng's default is 175)


def read_wav(path: Path) -> tuple[Samples, int]:
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    samples = to_mono_float(data)
    if samples.size == 0 or not np.any(samples):
        raise SpeechError("the speech engine produced no audible audio for this text")
    return samples, int(rate)


@dataclass
class _Request:
    text: str
    path: Path
    options: RenderOptions
    done: threading.Event = field(default_factory=threading.Event)
    error: str = ""


class _EngineThread:
    """The process's one pyttsx3 engine, owned by one daemon thread."""

    def __init__(self) -> None:
        self.requests: queue.Queue[_Request] = queue.Queue()
        self.ready = threading.Event()
        self.failure = ""  # why the engine cannot be used (set once, never cleared)
        self.voices: tuple[VoiceInfo, ...] = ()
        self._thread = threading.Thread(target=self._run, name="tts-engine", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            engine = self._start_engine()
        except Exception as error:  # a missing libespeak-ng, COM or driver problem
            self.failure = f"pyttsx3 could not start: {error}"
            self.ready.set()
            return
        self.ready.set()
        while True:
            request = self.requests.get()
            try:
                self._render(engine, request)
            except Exception as error:
                request.error = f"pyttsx3 failed: {error}"
            request.done.set()

    def _start_engine(self) -> Any:
        if sys.platform == "win32":  # SAPI5 is COM: each thread initialises it for itself
            import comtypes

            comtypes.CoInitialize()
        import pyttsx3

        engine = pyttsx3.init()
        _quieten(engine)
        self.voices = tuple(VoiceInfo(str(v.id), str(v.name or ""),
                                  tuple(str(lang) for lang in (v.languages or ())))
                            for v in engine.getProperty("voices"))
        return engine

    def _render(self, engine: Any, request: _Request) -> None:
        voice = request.options.voice or choose_voice(self.voices)
        if voice:
            engine.setProperty("voice", voice)
        engine.setProperty("rate", request.options.rate)
        engine.setProperty("volume", 1.0)  # the speaker scales the samples itself
        engine.save_to_file(request.text, str(request.path))
        engine.runAndWait()

    def render(self, request: _Request, timeout: float) -> bool:
        """True when the engine wrote the file; False when it cannot or did not in time."""
        if not self.ready.wait(timeout) or self.failure:
            return False
        self.requests.put(request)
        if not request.done.wait(timeout):
            self.failure = f"pyttsx3 did not finish a rendering within {timeout:g} s"
            log.warning("%s; using espeak-ng from now on", self.failure)
            return False
        if request.error:
            log.warning("%s; trying espeak-ng", request.error)
            return False
        return request.path.is_file() and request.path.stat().st_size > 44


def _quieten(engine: Any) -> None:
    """pyttsx3 2.99's espeak driver prints "Audio saved to …" on stdout after each file, which
    would corrupt the listener's JSON lines; its module gets a ``print`` that does nothing."""
    driver = getattr(getattr(engine, "proxy", None), "_module", None)
    if driver is not None and driver.__name__.endswith(".espeak"):
        driver.print = lambda *args, **kwargs: None


_engine_lock = threading.Lock()
_engine: _EngineThread | None = None


def _engine_thread() -> _EngineThread:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _EngineThread()
        return _engine


def available_voices(timeout: float) -> list[tuple[str, str]]:
    """(id, name) of the voices the speech engine offers (the process's one engine, shared with
    the speaker); [] when it cannot start within ``timeout`` seconds."""
    engine = _engine_thread()
    if not engine.ready.wait(timeout) or engine.failure:
        return []
    return [(v.id, v.name or v.id) for v in engine.voices]


def espeak_command(text: str, path: Path, options: RenderOptions) -> list[str]:
    program = shutil.which("espeak-ng") or shutil.which("espeak")
    if program is None:
        raise SpeechError("no speech engine: pyttsx3 failed and espeak-ng is not installed "
                          "(Debian/Ubuntu: apt-get install espeak-ng)")
    voice = (options.voice or ESPEAK_VOICE).rsplit("/", 1)[-1]
    if voice in BROKEN_VOICES or "\\" in voice or "." in voice:  # not an espeak-ng voice name
        voice = ESPEAK_VOICE
    return [program, "-v", voice, "-s", str(options.rate), "-w", str(path), "--", text]


def render_espeak(text: str, path: Path, options: RenderOptions, timeout: float) -> None:
    command = espeak_command(text, path, options)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False)
    except subprocess.TimeoutExpired as error:
        raise SpeechError(f"espeak-ng did not finish within {timeout:g} s") from error
    if result.returncode != 0:
        raise SpeechError(f"espeak-ng failed: {result.stderr.strip() or result.returncode}")


def render(text: str, options: RenderOptions | None = None,
           timeout: float = 10.0) -> tuple[Samples, int]:
    """Speech for ``text`` as mono float32 samples and their rate (22.05 kHz from espeak-ng)."""
    if not text.strip():
        raise SpeechError("there is no text to say")
    options = options or RenderOptions()
    with tempfile.TemporaryDirectory(prefix="lingyin-tts-") as folder:
        path = Path(folder) / "reply.wav"
        engine = _engine_thread()
        if not engine.render(_Request(text, path, options), timeout):
            path = Path(folder) / "fallback.wav"  # a late pyttsx3 write cannot clobber it
            render_espeak(text, path, options, timeout)
        return read_wav(path)


def pyttsx3_failure() -> str:
    """Why pyttsx3 is not used ('' while it works); for diagnostics."""
    engine = _engine
    return engine.failure if engine is not None else ""

