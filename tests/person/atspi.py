"""Reading the real window from outside, as a screen reader does: Qt publishes every widget over
AT-SPI (the accessibility D-Bus) when ``QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1``; this walks that
tree with jeepney (already a Lingyin dependency) to find a widget by role and name, its place on
the screen (where xdotool clicks), its text and, in a text editor, the caret. Nothing here
changes the window: clicks and keys go through xdotool like a person's."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

ACCESSIBLE = "org.a11y.atspi.Accessible"
TEXT = "org.a11y.atspi.Text"
COMPONENT = "org.a11y.atspi.Component"
REGISTRY = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
SCREEN_COORDS = 0
# AT-SPI state numbers (atspi-constants.h AtspiStateType)
CHECKED, ENABLED, FOCUSED, SHOWING, VISIBLE = 4, 8, 12, 25, 30


class A11yError(RuntimeError):
    """The accessibility tree could not be read, or what was looked for is not in it."""


@dataclass(frozen=True)
class Node:
    bus: str
    path: str
    role: str
    name: str
    extents: tuple[int, int, int, int]  # x, y, width, height on the screen
    depth: int

    @property
    def center(self) -> tuple[int, int]:
        x, y, w, h = self.extents
        return x + w // 2, y + h // 2

    @property
    def on_screen(self) -> bool:
        return self.extents[2] > 0 and self.extents[3] > 0


class A11y:
    """One connection to the accessibility bus of a private session bus (thread-safe)."""

    def __init__(self, session_bus: str, timeout: float = 20.0) -> None:
        self._lock = threading.Lock()
        self._conn = self._connect(session_bus, timeout)

    @staticmethod
    def _connect(session_bus: str, timeout: float) -> DBusConnection:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                session = open_dbus_connection(session_bus)
                try:
                    bus = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus",
                                      interface="org.a11y.Bus")
                    address = session.send_and_get_reply(new_method_call(bus, "GetAddress"),
                                                         timeout=10).body[0]
                finally:
                    session.close()
                return open_dbus_connection(address)
            except Exception as exc:  # the launcher is still starting
                last = exc
                time.sleep(0.3)
        raise A11yError(f"no accessibility bus on {session_bus} within {timeout:.0f} s "
                        f"(at-spi2-core installed?): {last}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---- raw calls ----------------------------------------------------------------------
    def call(self, bus: str, path: str, interface: str, method: str, signature: str = "",
             *args: Any) -> tuple[Any, ...]:
        address = DBusAddress(path, bus_name=bus, interface=interface)
        message = (new_method_call(address, method, signature, args) if signature
                   else new_method_call(address, method))
        with self._lock:
            reply = self._conn.send_and_get_reply(message, timeout=10)
        if reply.header.message_type.name == "error":
            raise A11yError(f"{interface}.{method} on {path}: {reply.body}")
        return tuple(reply.body)

    def prop(self, bus: str, path: str, interface: str, name: str) -> Any:
        return self.call(bus, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                         interface, name)[0][1]

    def node(self, bus: str, path: str, depth: int = 0) -> Node:
        name = str(self.prop(bus, path, ACCESSIBLE, "Name"))
        role = str(self.call(bus, path, ACCESSIBLE, "GetRoleName")[0])
        try:
            extents = tuple(self.call(bus, path, COMPONENT, "GetExtents", "u", SCREEN_COORDS)[0])
        except A11yError:
            extents = (0, 0, 0, 0)
        return Node(bus, path, role, name, extents, depth)

    def children(self, node: Node) -> list[Node]:
        pairs = self.call(node.bus, node.path, ACCESSIBLE, "GetChildren")[0]
        return [self.node(bus, path, node.depth + 1) for bus, path in pairs]

    def text(self, node: Node) -> str:
        return str(self.call(node.bus, node.path, TEXT, "GetText", "ii", 0, -1)[0])

    def states(self, node: Node) -> set[int]:
        words = self.call(node.bus, node.path, ACCESSIBLE, "GetState")[0]
        return {32 * i + bit for i, word in enumerate(words) for bit in range(32)
                if word >> bit & 1}

    def caret(self, node: Node) -> int:
        return int(self.prop(node.bus, node.path, TEXT, "CaretOffset"))

    # ---- the tree -------------------------------------------------------------------------
    def applications(self) -> list[Node]:
        root = Node(REGISTRY[0], REGISTRY[1], "desktop frame", "", (0, 0, 0, 0), 0)
        return self.children(root)

    def frames(self) -> list[Node]:
        """Every top-level window of every application (the main window is a frame, the
        editor, a plain QWidget window, a filler)."""
        found = []
        for app in self.applications():
            found += self.children(app)
        return found

    def frame(self, title_part: str) -> Node | None:
        return next((f for f in self.frames() if title_part in f.name), None)

    def walk(self, top: Node, max_depth: int = 12) -> Iterator[Node]:
        yield top
        if top.depth >= max_depth:
            return
        for child in self.children(top):
            yield from self.walk(child, max_depth)

    def find(self, top: Node, match: Callable[[Node], bool]) -> Node | None:
        return next((n for n in self.walk(top) if match(n)), None)

    def find_all(self, top: Node, match: Callable[[Node], bool]) -> list[Node]:
        return [n for n in self.walk(top) if match(n)]

    def dump(self, top: Node) -> str:
        lines = []
        for n in self.walk(top):
            lines.append("  " * n.depth + f"{n.role} {n.name!r} {n.extents}")
        return "\n".join(lines)

    def wait_for(self, what: str, probe: Callable[[], Node | None], timeout: float,
                 every: float = 0.25) -> Node:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                found = probe()
            except A11yError as exc:  # a widget went away while being read
                found, last = None, exc
            if found is not None:
                return found
            time.sleep(every)
        raise A11yError(f"{what}: not in the window within {timeout:.0f} s"
                        + (f" (last error: {last})" if last else ""))


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of character ``offset`` in ``text``."""
    return text.count("\n", 0, max(0, offset)) + 1

