"""One Lingyin per user and config folder, through a local socket (QLocalServer; never a network
port). The first app listens; a second `lingyin` sends "show" and exits, `lingyin ptt` sends
"ptt". A message is one line of text; the app answers "ok" once it has taken it.

A socket file left behind by a crashed app is recovered: when nobody answers on the name, the
stale file is removed before listening.

The socket is the user's alone: it lives in the user's private runtime folder
(``$XDG_RUNTIME_DIR/lingyin``, else ``/tmp/lingyin-<uid>``, else the cache folder) — a folder
that must be a real directory owned by the user with no access for anyone else, never a
predictable name in a shared ``/tmp`` that another user could take first. Whatever answers on it
must run as the same user (``SO_PEERCRED``), and the server ignores connections of other users.
On Windows the name is a per-session named pipe."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import os
import re
import socket
import stat
import struct
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from asr import settings

log = logging.getLogger("lingyin.gui")
COMMANDS = ("show", "ptt")
ACK = b"ok\n"


# a Unix socket's path holds at most 107 bytes; the socket's own name takes up to ~60
MAX_FOLDER_BYTES = 107 - 61


class NoPrivateFolder(RuntimeError):
    """No folder for the socket is private to this user."""


def _own_uid() -> int:
    return os.getuid()


def private_folder(path: Path) -> bool:
    """Create ``path`` (0700) if missing; True when it is a real directory (not a link) that
    this user owns and nobody else may enter."""
    with contextlib.suppress(FileExistsError, FileNotFoundError, PermissionError):
        path.mkdir(mode=0o700)
    try:
        info = path.lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == _own_uid()
            and info.st_mode & 0o077 == 0)


def runtime_folder() -> Path:
    """The user's private folder for the socket (see the module docstring)."""
    candidates = []
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(runtime) / "lingyin")
    candidates.append(Path(tempfile.gettempdir()) / f"lingyin-{_own_uid()}")
    cache = settings.cache_dir()
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
    candidates.append(cache / "run")
    for folder in candidates:
        if len(os.fsencode(folder)) > MAX_FOLDER_BYTES:  # the socket's path would not fit
            log.warning("not using %s for the app's socket: its path is too long", folder)
            continue
        if private_folder(folder):
            return folder
        log.warning("not using %s for the app's socket: not a folder only you can enter", folder)
    raise NoPrivateFolder("no private folder for Lingyin's socket: set XDG_RUNTIME_DIR to a "
                          "folder only you can enter (mode 0700)")


def socket_path(name: str) -> str:
    """Where the socket called ``name`` lives: in the private folder (a bare name), or ``name``
    itself when it already is a path. Windows named pipes keep the bare name."""
    if sys.platform == "win32" or "/" in name:
        return name
    return str(runtime_folder() / name)


def peer_is_this_user(descriptor: int) -> bool:
    """True when the process at the other end of a connected Unix socket runs as this user
    (Linux ``SO_PEERCRED``); elsewhere the private folder is the guard."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None or descriptor < 0:
        return option is None
    try:
        with socket.socket(fileno=os.dup(descriptor)) as peer:
            raw = peer.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    except OSError:
        return False
    _, uid, _ = struct.unpack("3i", raw)
    return bool(uid == _own_uid())


def server_name(config: Path | None = None, user: str | None = None) -> str:
    """The socket's name for this user and config folder (so test runs and users never meet);
    ``socket_path`` places it in the user's private folder."""
    try:
        user = user or getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        user = "user"
    folder = str((config or settings.config_dir()).expanduser().resolve())
    digest = hashlib.sha256(f"{user}\0{folder}".encode()).hexdigest()[:16]
    return f"lingyin-{re.sub(r'[^A-Za-z0-9_.-]', '_', user)[:32]}-{digest}"


def send(name: str, command: str, timeout_ms: int = 1500) -> bool:
    """Give ``command`` to the app listening on ``name``; False when no app answers.
    Blocking (the sender has no event loop): call it from the command line or a worker thread."""
    sock = QLocalSocket()
    try:
        sock.connectToServer(socket_path(name))
    except NoPrivateFolder as exc:
        log.warning("%s", exc)
        return False
    if not sock.waitForConnected(timeout_ms):
        return False
    try:
        if not peer_is_this_user(int(sock.socketDescriptor())):
            log.warning("the socket %s is answered by another user; not talking to it",
                        socket_path(name))
            return False
        sock.write(command.encode("utf-8") + b"\n")
        if not sock.waitForBytesWritten(timeout_ms):
            return False
        while not sock.canReadLine():  # the ack: the app has the message
            if not sock.waitForReadyRead(timeout_ms):
                return False
        return bytes(sock.readLine().data()) == ACK
    finally:
        sock.disconnectFromServer()


def is_running(name: str, timeout_ms: int = 500) -> bool:
    sock = QLocalSocket()
    try:
        sock.connectToServer(socket_path(name))
    except NoPrivateFolder:
        return False
    running = sock.waitForConnected(timeout_ms) and peer_is_this_user(
        int(sock.socketDescriptor()))
    sock.abort()
    return running


class InstanceServer(QObject):
    """The first app's end: ``message`` carries each command a later `lingyin` sent."""

    message = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def start(self) -> bool:
        """Listen; False when another app already answers on the name (it should be told
        "show" and this one exit). A name that cannot be claimed otherwise is logged and the
        app runs on without the single-instance door."""
        if is_running(self.name):
            return False
        try:
            path = socket_path(self.name)
        except NoPrivateFolder as exc:
            log.warning("%s; `lingyin ptt` will not reach this app", exc)
            return True
        # Nobody answers: any socket file under the name is a crashed app's leftover.
        QLocalServer.removeServer(path)
        if not self._server.listen(path):
            log.warning("cannot listen on %s (%s); `lingyin ptt` will not reach this app",
                        self.name, self._server.errorString())
        return True

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():  # (a None from PySide6 corrupts None)
            sock = self._server.nextPendingConnection()
            if not peer_is_this_user(int(sock.socketDescriptor())):
                log.warning("refusing a connection of another user on %s", self.name)
                sock.abort()
                continue
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._read(sock)

    def _read(self, sock: QLocalSocket) -> None:
        while sock.canReadLine():
            command = bytes(sock.readLine().data()).decode("utf-8", "replace").strip()
            if command in COMMANDS:
                if sock.state() == QLocalSocket.LocalSocketState.ConnectedState:
                    sock.write(ACK)
                    sock.flush()
                self.message.emit(command)
            else:
                log.warning("ignoring an unknown instance command %r", command[:40])
                sock.abort()
                return

