"""A private PulseAudio server for tests that go through real PortAudio.

``PulseServer`` starts ``pulseaudio`` in a temporary runtime folder of its own (never the user's
server), points this process at it (``PULSE_SERVER``, a client config with autospawn off) and
re-initialises PortAudio so that its ALSA device ``pulse`` talks to it. ``VirtualMic`` is a
``module-pipe-source`` fed in real time by a writer thread (queued clips, silence or low noise in
between); ``NullSpeaker`` is a ``module-null-sink`` whose ``.monitor`` can be the microphone (echo).

Needs Debian's ``pulseaudio pulseaudio-utils libasound2-plugins`` (packaging/setup.sh). Without
them, or when the server does not answer, ``PulseError`` says what is missing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType

import numpy as np

RATE = 16000
BLOCK = 320  # 20 ms at 16 kHz
PACKAGES = "pulseaudio pulseaudio-utils libasound2-plugins"


class PulseError(RuntimeError):
    """The private PulseAudio server could not be started or did not do what was asked."""


class PulseServer:
    """A private ``pulseaudio -n`` (no default script) with only the native protocol loaded."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.root: Path | None = None
        self.socket: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(os.devnull)
        self._saved_env: dict[str, str | None] = {}

    # -- life cycle -------------------------------------------------------------------------
    def __enter__(self) -> PulseServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        for tool in ("pulseaudio", "pactl"):
            if shutil.which(tool) is None:
                raise PulseError(f"`{tool}` not found: install Debian's {PACKAGES} "
                                 "(packaging/setup.sh does)")
        self.root = Path(tempfile.mkdtemp(prefix="lingyin-pulse-"))
        runtime = self.root / "runtime"
        home = self.root / "home"
        runtime.mkdir(mode=0o700)
        home.mkdir(mode=0o700)
        self.socket = runtime / "native"
        client_conf = self.root / "client.conf"
        client_conf.write_text("autospawn = no\n", encoding="utf-8")
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home),
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / ".state"),
               "PULSE_RUNTIME_PATH": str(runtime / "pulse"),
               "PULSE_STATE_PATH": str(home / "state")}
        env.pop("PULSE_SERVER", None)
        command = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                   "--use-pid-file=no", "--log-level=warning", "--log-target=stderr",
                   "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1"]
        if os.geteuid() == 0:  # as root pulseaudio warns that it is not meant to, and runs
            command.insert(1, "--system=false")
        self.log = self.root / "pulseaudio.log"
        try:
            with open(self.log, "wb") as log:
                self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                                stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        except OSError as error:
            shutil.rmtree(self.root, ignore_errors=True)
            raise PulseError(f"cannot run pulseaudio: {error}") from error
        self._point_process_here(client_conf)
        try:
            self._wait_until_ready()
            refresh_portaudio()
            check_portaudio_device("pulse")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        refresh_portaudio()  # forget the server's devices: later opens fail instead of hanging

    def _point_process_here(self, client_conf: Path) -> None:
        settings = {"PULSE_SERVER": f"unix:{self.socket}", "PULSE_CLIENTCONFIG": str(client_conf)}
        for key, value in settings.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise PulseError(f"pulseaudio exited at start: {self.log_text()}")
            result = subprocess.run(["pactl", "info"], capture_output=True, text=True,
                                    timeout=5, check=False)
            if result.returncode == 0:
                return
            last = result.stderr.strip()
            time.sleep(0.1)
        raise PulseError(f"pulseaudio did not answer `pactl info` within {self.timeout:.0f} s "
                         f"({last}); its log: {self.log_text()}")

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
        except OSError:
            return "(no log)"

    # -- pactl ------------------------------------------------------------------------------
    def pactl(self, *args: str) -> str:
        result = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10,
                                check=False)
        if result.returncode != 0:
            raise PulseError(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def load_module(self, name: str, **options: str | int) -> int:
        arguments = [f"{key}={value}" for key, value in options.items()]
        return int(self.pactl("load-module", name, *arguments))

    def unload_module(self, index: int) -> None:
        self.pactl("unload-module", str(index))

    def names(self, kind: str) -> list[str]:
        """Names of ``sinks`` or ``sources`` the server has now."""
        lines = self.pactl("list", "short", kind).splitlines()
        return [line.split("\t")[1] for line in lines if "\t" in line]

    def set_default_source(self, name: str) -> None:
        self.pactl("set-default-source", name)

    def set_default_sink(self, name: str) -> None:
        self.pactl("set-default-sink", name)

    def virtual_mic(self, name: str = "mic", noise: float = 0.0) -> VirtualMic:
        return VirtualMic(self, name, noise)

    def null_speaker(self) -> NullSpeaker:
        return NullSpeaker(self)


def refresh_portaudio() -> None:
    """Make an already initialised PortAudio (sounddevice initialises at import) see the server.

    PortAudio lists its ALSA devices once, at Pa_Initialize; ALSA's ``pulse`` device is probed
    then, so a PortAudio initialised before the server started has no (working) ``pulse``.
    Terminating and initialising again re-reads the ALSA configuration. No stream may be open.
    """
    module = sys.modules.get("sounddevice")
    if module is None:
        return  # sounddevice will initialise at import, with the environment already in place
    module._terminate()  # type: ignore[attr-defined]
    module._initialize()  # type: ignore[attr-defined]


def check_portaudio_device(name: str) -> None:
    import sounddevice

    names = [str(device["name"]) for device in sounddevice.query_devices()]
    if name not in names:
        raise PulseError(f"PortAudio has no ALSA device {name!r} (devices: {names}); install "
                         f"Debian's libasound2-plugins and check /usr/share/alsa/alsa.conf.d/")


class Recording:
    """Records mono float32 from a PortAudio device in the background (default: ALSA ``pulse``,
    which records the server's default source) until the ``with`` block ends."""

    def __init__(self, device: str | int | None = "pulse", rate: int = RATE) -> None:
        import sounddevice

        self.rate = rate
        self._blocks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.status_flags: list[str] = []
        self._stream = sounddevice.InputStream(device=device, samplerate=rate, channels=1,
                                               dtype="float32", callback=self._callback)

    def _callback(self, data: np.ndarray, frames: int, timing: object, status: object) -> None:
        with self._lock:
            self._blocks.append(data[:, 0].copy())
            if status:
                self.status_flags.append(str(status))

    def __enter__(self) -> Recording:
        self._stream.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stream.close()

    @property
    def seconds(self) -> float:
        with self._lock:
            return sum(len(block) for block in self._blocks) / self.rate

    def samples(self) -> np.ndarray:
        with self._lock:
            blocks = list(self._blocks)
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)

    def wait_for(self, seconds: float, timeout: float) -> None:
        """Block until ``seconds`` of audio were recorded (PulseError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while self.seconds < seconds:
            if time.monotonic() > deadline:
                raise PulseError(f"recorded only {self.seconds:.2f} s of {seconds:.2f} s "
                                 f"within {timeout:.0f} s")
            time.sleep(0.02)


def rms_envelope(samples: np.ndarray, rate: int = RATE, window: float = 0.05) -> np.ndarray:
    """RMS per ``window`` seconds (the trailing partial window is dropped)."""
    size = max(1, int(rate * window))
    usable = len(samples) // size * size
    frames = samples[:usable].reshape(-1, size).astype(np.float64)
    return np.sqrt((frames**2).mean(axis=1))


class VirtualMic:
    """``module-pipe-source source_name=mic``, the default source, fed 16 kHz s16le in real time.

    ``play(samples)`` queues float32 audio; between clips the writer sends silence (or Gaussian
    noise of RMS ``noise``). ``unload()`` removes the source (a device that vanishes) and
    ``load()`` creates it again. The FIFO is written without blocking: when nothing reads it,
    audio is held back, never written in a burst later.
    """

    def __init__(self, server: PulseServer, name: str = "mic", noise: float = 0.0,
                 seed: int = 0) -> None:
        if server.root is None:
            raise PulseError("the PulseAudio server is not running")
        self.server = server
        self.name = name
        self.noise = noise
        self._random = np.random.default_rng(seed)
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._fd: int | None = None
        self._module: int | None = None
        self._loads = 0
        self._stopping = threading.Event()
        self.blocks_written = 0
        self.blocks_lost = 0
        self.load()
        self._thread = threading.Thread(target=self._write_loop, name="virtual-mic", daemon=True)
        self._thread.start()

    def __enter__(self) -> VirtualMic:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @property
    def loaded(self) -> bool:
        return self._module is not None

    def load(self) -> None:
        """Create the source (a new FIFO each time: the module refuses an existing path)."""
        assert self.server.root is not None
        self._loads += 1
        fifo = self.server.root / f"{self.name}-{self._loads}.fifo"
        module = self.server.load_module("module-pipe-source", source_name=self.name,
                                         file=str(fifo), format="s16le", rate=RATE, channels=1)
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        with self._lock:
            self._module, self._fd = module, fd
        self.server.set_default_source(self.name)

    def unload(self) -> None:
        """Remove the source, as when a USB microphone is pulled out."""
        with self._lock:
            module, fd = self._module, self._fd
            self._module, self._fd = None, None
        if fd is not None:
            os.close(fd)
        if module is not None:
            self.server.unload_module(module)

    def play(self, samples: np.ndarray) -> None:
        """Queue mono float32 samples in [-1, 1] at 16 kHz; they follow what is queued already."""
        pcm = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
        with self._lock:
            self._idle.clear()
            for start in range(0, len(pcm), BLOCK):
                self._queue.append(pcm[start : start + BLOCK])

    def wait_played(self, timeout: float) -> bool:
        """True once every queued sample has gone into the FIFO (False on timeout)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)  # a writer that does not return is a daemon: abandoned
        with contextlib.suppress(PulseError):
            self.unload()

    def _next_block(self) -> np.ndarray:
        with self._lock:
            if self._queue:
                block = self._queue.popleft()
                if len(block) == BLOCK:
                    return block
                return np.concatenate([block, np.zeros(BLOCK - len(block), np.float32)])
            self._idle.set()
        if self.noise > 0:
            return (self._random.standard_normal(BLOCK) * self.noise).astype(np.float32)
        return np.zeros(BLOCK, np.float32)

    def _write_loop(self) -> None:
        period = BLOCK / RATE
        next_time = time.monotonic()
        pending = b""
        while not self._stopping.is_set():
            now = time.monotonic()
            if next_time - now > 0:
                time.sleep(next_time - now)
            elif now - next_time > 0.2:
                next_time = now  # fell behind (nobody read the FIFO): do not catch up in a burst
            next_time += period
            if not pending:
                block = self._next_block()
                pending = (np.round(block * 32767.0).astype("<i2")).tobytes()
            with self._lock:
                fd = self._fd
            if fd is None:
                pending = b""  # the device is gone: what is "said" now is lost, as in a room
                self.blocks_lost += 1
                continue
            pending = self._write(fd, pending)

    def _write(self, fd: int, data: bytes) -> bytes:
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            return data
        except OSError as error:
            if error.errno in (errno.EPIPE, errno.EBADF):  # unloaded under our feet
                self.blocks_lost += 1
                return b""
            raise
        if written == len(data):
            self.blocks_written += 1
            return b""
        return data[written:]


class NullSpeaker:
    """``module-null-sink sink_name=speaker`` as the default sink; its monitor can be the mic."""

    def __init__(self, server: PulseServer, name: str = "speaker") -> None:
        self.server = server
        self.name = name
        self.monitor = f"{name}.monitor"
        self._module: int | None = server.load_module(
            "module-null-sink", sink_name=name, sink_properties="device.description=Lingyin-test")
        server.set_default_sink(name)

    def __enter__(self) -> NullSpeaker:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def use_monitor_as_mic(self) -> None:
        """Make ``speaker.monitor`` the default source: what is played reaches the 'microphone'."""
        self.server.set_default_source(self.monitor)

    def volume(self) -> float:
        """The sink volume in percent (the mean over channels), as ``pactl`` reports it."""
        text = self.server.pactl("get-sink-volume", self.name)
        values = [int(value) for value in re.findall(r"(\d+)%", text)]
        if not values:
            raise PulseError(f"cannot read the volume of {self.name} from: {text!r}")
        return sum(values) / len(values)

    def set_volume(self, percent: float) -> None:
        self.server.pactl("set-sink-volume", self.name, f"{percent:g}%")

    def close(self) -> None:
        module, self._module = self._module, None
        if module is not None:
            with contextlib.suppress(PulseError):
                self.server.unload_module(module)
