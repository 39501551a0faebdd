"""Offline means offline (issue 14): `lingyin listen` on a file and the desktop window's start-up
run under ``strace -f`` and fail on any attempt to reach the network — a connect() or an
addressed send to an IPv4/IPv6 address that is not loopback, or a DNS lookup of any kind (port 53,
even to a loopback stub resolver, or systemd-resolved's socket). Unix sockets (D-Bus, PulseAudio,
the single-instance socket) and netlink are local and allowed.

onnxruntime 1.29 and later send telemetry to mobile.events.data.microsoft.com from a bare
``import onnxruntime`` (pyproject.toml pins a build without it, and app/cli.py sets their
ORT_DISABLE_TELEMETRY=1 switch should one be installed); these tests catch that, or
anything else that phones home, whether or not the machine has a network: an attempt is
recorded by strace even when it fails. Weather, Home Assistant and an online model install reach
the network only when the user asks, and nothing here asks."""

from __future__ import annotations

import ipaddress
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from asr import settings

ROOT = Path(__file__).resolve().parent.parent
CALLS = ("connect", "sendto", "sendmsg", "sendmmsg")
LISTEN_TIMEOUT = 90.0  # seconds; the run itself takes ~15 s
READY_TIMEOUT = 90.0  # the window's model load; ~10 s
SETTLE = 5.0  # seconds the window keeps running once ready, before it is ended
READY = "lingyin-offline-test: ready"
FAILED = "lingyin-offline-test: failed"

LINE = re.compile(r"^(?:\[pid\s+)?(?P<pid>\d+)\]?\s+(?:[\d:.]+\s+)?(?P<call>\w+)\((?P<args>.*)$")
FAMILY = re.compile(r"sa_family=(AF_\w+)")
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6?, "([^"]+)"')
UNIX_PATH = re.compile(r'sun_path=@?"([^"]*)"')
RESOLVER_SOCKETS = ("/run/systemd/resolve/", "/var/run/systemd/resolve/")


@dataclass(frozen=True)
class Contact:
    """One attempt to reach the network, from one strace line."""

    call: str
    family: str
    address: str
    port: int | None
    line: str

    def __str__(self) -> str:
        return f"{self.call} {self.family} {self.address} port {self.port}: {self.line}"


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def network_contacts(trace: str) -> list[Contact]:
    """Every attempt in an ``strace -f -e trace=connect,sendto,sendmsg,sendmmsg`` log to reach
    the network: an AF_INET/AF_INET6 address that is not loopback, anything to port 53 (a DNS
    query, also to a local stub resolver), or systemd-resolved's socket (a name lookup)."""
    found: list[Contact] = []
    for raw in trace.splitlines():
        line = raw.strip()
        match = LINE.match(line)
        if not match or match["call"] not in CALLS:
            continue  # "<... connect resumed>", "+++ exited", signals: no address on them
        # one segment per address structure (sendmmsg may carry several)
        for segment in match["args"].split("sa_family=")[1:]:
            family = FAMILY.match("sa_family=" + segment)
            name = family[1] if family else "?"
            if name == "AF_UNIX":
                path = UNIX_PATH.search(segment)
                if path and path[1].startswith(RESOLVER_SOCKETS):
                    found.append(Contact(match["call"], name, path[1], None, line))
                continue
            if name not in ("AF_INET", "AF_INET6"):
                continue  # AF_NETLINK (the kernel), AF_UNSPEC (dissolves a UDP association)
            port_match = PORT.search(segment)
            port = int(port_match[1]) if port_match else None
            address_match = ADDRESS.search(segment)
            address = (address_match[1] or address_match[2]) if address_match else "?"
            if not _is_loopback(address) or port == 53:
                found.append(Contact(match["call"], name, address, port, line))
    return found


def strace_command(trace: Path) -> list[str]:
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail("strace is not installed: the offline check cannot run (packaging/setup.sh "
                    "installs it; or apt-get install strace)", pytrace=False)
    return [strace, "-f", "--seccomp-bpf", "-e", f"trace={','.join(CALLS)}",
            "-o", str(trace)]


def lingyin_script() -> Path:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).parent / "lingyin"
    if not script.is_file():
        pytest.fail(f"no lingyin console script beside {sys.executable}: run packaging/setup.sh",
                    pytrace=False)
    return script


def offline_env(tmp_path: Path) -> dict[str, str]:
    """A fresh home, config and data folder (the installed models linked in, the user's cache
    of the lexicon reused), no display, no telemetry opt-out from the caller's environment."""
    models = settings.models_dir()
    if not (models / settings.DEFAULT_MODEL).is_dir():
        pytest.fail(f"no model installed in {models}: run packaging/setup.sh", pytrace=False)
    dropped = ("ORT_DISABLE_TELEMETRY", "DISPLAY", "WAYLAND_DISPLAY")
    env = {k: v for k, v in os.environ.items()
           if k not in dropped and (not k.startswith("XDG_") or k == "XDG_RUNTIME_DIR")}
    home = tmp_path / "home"
    data = tmp_path / "data"
    home.mkdir()
    data.mkdir()
    (data / "models").symlink_to(models, target_is_directory=True)
    env.update(HOME=str(home), LINGYIN_CONFIG_DIR=str(tmp_path / "config"),
               LINGYIN_DATA_DIR=str(data), LINGYIN_CACHE_DIR=str(settings.cache_dir()),
               LINGYIN_SHARED=str(settings.shared_dir()), QT_QPA_PLATFORM="offscreen",
               PYTHONUNBUFFERED="1")
    return env


def assert_offline(trace: Path) -> None:
    assert trace.is_file(), f"strace wrote no trace at {trace}"
    text = trace.read_text(encoding="utf-8", errors="replace")
    assert "+++ exited with" in text or "+++ killed by" in text, f"{trace}: strace traced nothing"
    contacts = network_contacts(text)
    assert not contacts, (f"reached for the network (trace: {trace}):\n"
                          + "\n".join(map(str, contacts[:20])))


# ---- the checker itself ------------------------------------------------------------------------

# strace 6.1's lines, as seen on this machine with onnxruntime 1.32.0 and made up for the rest
INET = '{sa_family=AF_INET, sin_port=htons(%d), sin_addr=inet_addr("%s")}'
INET6 = ('{sa_family=AF_INET6, sin6_port=htons(%d), sin6_flowinfo=htonl(0), '
         'inet_pton(AF_INET6, "%s", &sin6_addr), sin6_scope_id=0}')
SAMPLE = "\n".join([
    '5103  connect(8, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
    f'5104  connect(8, {INET % (53, "10.255.255.53")}, 16) = 0',
    f'5123  connect(9, {INET % (53, "10.255.255.53")}, 16 <unfinished ...>',
    "5123  <... connect resumed>)            = 0",
    '5104  sendto(8, "\\352\\16\\1\\0\\6mobile\\6events\\4data\\t"..., 50, MSG_NOSIGNAL, NULL, 0)',
    f'5200  connect(12, {INET6 % (443, "2603:1030:b:3::152")}, 28) = -1 EINPROGRESS',
    f'5201  connect(5, {INET % (53, "127.0.0.53")}, 16) = 0',
    '5202  connect(6, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42)',
    f'5203  sendto(7, "\\1\\2"..., 40, 0, {INET % (443, "20.42.65.92")}, 16) = 40',
    f'[pid  5204] connect(3, {INET % (443, "93.184.216.34")}, 16) = -1 ENETUNREACH',
    "5102  +++ exited with 0 +++",
])

LOCAL = "\n".join([
    '6001  connect(3, {sa_family=AF_UNIX, sun_path="/run/user/0/pulse/native"}, 110) = 0',
    '6001  connect(4, {sa_family=AF_UNIX, sun_path=@"/tmp/.X11-unix/X0"}, 20) = -1 ECONNREFUSED',
    f'6002  connect(5, {INET % (8123, "127.0.0.1")}, 16) = 0',
    f'6003  connect(6, {INET6 % (9, "::1")}, 28) = -1 ECONNREFUSED (Connection refused)',
    f'6004  connect(7, {INET6 % (80, "::ffff:127.0.0.1")}, 28) = 0',
    "6005  sendto(8, {{len=20, type=RTM_GETADDR, flags=NLM_F_REQUEST|NLM_F_DUMP, seq=1, pid=0}, "
    "{ifa_family=AF_UNSPEC, ...}}, 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, "
    "12) = 20",
    '6006  connect(9, {sa_family=AF_UNSPEC, sa_data="\\0\\0\\0\\0\\0\\0\\0\\0"}, 16) = 0',
    '6007  sendmsg(10, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="l\\1", iov_len=2}], '
    "msg_iovlen=1, msg_controllen=0, msg_flags=0}, MSG_NOSIGNAL) = 2",
    "6008  +++ exited with 0 +++",
])


def test_the_checker_catches_telemetry_dns_tls_and_resolver_lookups(tmp_path: Path) -> None:
    contacts = network_contacts(SAMPLE)
    assert [(c.family, c.address, c.port) for c in contacts] == [
        ("AF_INET", "10.255.255.53", 53),  # onnxruntime 1.32's DNS query for its collector
        ("AF_INET", "10.255.255.53", 53),  # the same, split by another thread's syscall
        ("AF_INET6", "2603:1030:b:3::152", 443),  # a TLS connection
        ("AF_INET", "127.0.0.53", 53),  # a DNS query to a loopback stub still leaks the name
        ("AF_UNIX", "/run/systemd/resolve/io.systemd.Resolve", None),  # so does resolved's socket
        ("AF_INET", "20.42.65.92", 443),  # an addressed send without connect
        ("AF_INET", "93.184.216.34", 443),  # a failed attempt is still an attempt
    ]
    trace = tmp_path / "sample.trace"
    trace.write_text(SAMPLE, encoding="utf-8")
    with pytest.raises(AssertionError, match="reached for the network"):
        assert_offline(trace)


def test_the_checker_allows_loopback_unix_and_netlink() -> None:
    assert network_contacts(LOCAL) == []


# ---- the real programs ---------------------------------------------------------------------------

def test_lingyin_listen_on_a_file_stays_offline(tmp_path: Path, clip) -> None:  # type: ignore[no-untyped-def]
    trace = tmp_path / "listen.trace"
    command = [*strace_command(trace), str(lingyin_script()), "listen", "--input",
               str(clip("W0001")), "--fast", "--no-speak", "--json", "--vad", "silero"]
    done = subprocess.run(command, env=offline_env(tmp_path), cwd=tmp_path, text=True,
                          capture_output=True, timeout=LISTEN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"event": "intent"' in done.stdout, done.stdout[-3000:]  # it heard 设定二十九度
    assert_offline(trace)


# Runs the installed `lingyin` script unchanged, reporting on stdout when the window's core (model,
# grammar, assistant, listener) is ready or failed: app.gui.bridge.Bridge's own signals.
LAUNCHER = f"""
import os, runpy, sys
from app.gui.bridge import Bridge
_init = Bridge.__init__
def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.ready.connect(lambda: print({READY!r}, os.getpid(), flush=True))
    self.failed.connect(lambda message: print({FAILED!r}, message, flush=True))
Bridge.__init__ = __init__
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _lines(stream, out: queue.Queue[str]) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        out.put(line.rstrip("\n"))
    out.put("")


def test_the_desktop_window_starts_offline(tmp_path: Path, clip) -> None:  # type: ignore[no-untyped-def]
    trace = tmp_path / "gui.trace"
    env = offline_env(tmp_path)
    env["LINGYIN_GUI_INPUT"] = str(clip("W0001"))  # no microphone in CI
    command = [*strace_command(trace), sys.executable, "-c", LAUNCHER, str(lingyin_script())]
    stderr = (tmp_path / "gui.stderr").open("w")
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE,
                            stderr=stderr, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    app_pid = None
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while app_pid is None:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"the window was not ready within {READY_TIMEOUT:.0f} s; "
                            f"stdout: {seen[-20:]}; stderr in {stderr.name}")
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith(FAILED):
                pytest.fail(f"the window could not start: {line}")
            if line.startswith(READY):
                app_pid = int(line.split()[-1])
            elif not line and proc.poll() is not None:
                pytest.fail(f"lingyin exited ({proc.returncode}) before it was ready; "
                            f"stderr: {Path(stderr.name).read_text()[-3000:]}")
        time.sleep(SETTLE)  # running, listening to the file: still nothing may go out
        assert proc.poll() is None, "the window closed by itself"
        os.kill(app_pid, signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        stderr.close()
    assert_offline(trace)
