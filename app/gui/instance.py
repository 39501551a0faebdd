"""One Lingyin per user and config folder, through a local socket (QLocalServer; never a network
port). The first app listens; a second `lingyin` sends "show" and exits, `lingyin ptt` sends
"ptt". A message is one line of text; the app answers "ok" once it has taken it.

A socket file left behind by a crashed app is recovered: when nobody answers on the name, the
stale file is removed before listening. The socket is the user's alone (UserAccessOption)."""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from asr import settings

log = logging.getLogger("lingyin.gui")
COMMANDS = ("show", "ptt")
ACK = b"ok\n"


def server_name(config: Path | None = None, user: str | None = None) -> str:
    """The socket's name for this user and config folder (so test runs and users never meet)."""
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
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    try:
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
    sock.connectToServer(name)
    running = sock.waitForConnected(timeout_ms)
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
        # Nobody answers: any socket file under the name is a crashed app's leftover.
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning("cannot listen on %s (%s); `lingyin ptt` will not reach this app",
                        self.name, self._server.errorString())
        return True

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():  # (a None from PySide6 corrupts None)
            sock = self._server.nextPendingConnection()
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

