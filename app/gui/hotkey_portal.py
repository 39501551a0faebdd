"""The global hotkey on Wayland: the xdg-desktop-portal GlobalShortcuts interface over D-Bus
(jeepney, blocking I/O on a worker thread).

CreateSession → Response (the session handle) → BindShortcuts with the preferred trigger →
Response (the desktop may ask the person first, so that wait is open-ended but stoppable) →
Activated / Deactivated signals: key down and key up, so push-to-talk can be held."""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from app.gui.hotkey import HotkeySink, KeyCombo, PollingBackend

log = logging.getLogger("lingyin.gui")
BUS_NAME = "org.freedesktop.portal.Desktop"
OBJECT_PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
SHORTCUT_ID = "push-to-talk"
CALL_TIMEOUT = 5.0
_tokens = itertools.count(1)


def portal_has_global_shortcuts(env: Mapping[str, str] | None = None) -> bool:
    """Cheap check on the GUI thread: is there a session bus to ask? Whether the desktop's portal
    offers GlobalShortcuts is asked by the backend on its thread (it reports when not)."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR", "")
    return bool(env.get("DBUS_SESSION_BUS_ADDRESS")) or bool(
        runtime and os.path.exists(os.path.join(runtime, "bus")))


class PortalError(Exception):
    """Why the shortcut could not be bound (Chinese, shown in the window)."""


class PortalHotkey(PollingBackend):
    name = "portal"
    holds = True

    THREAD_NAME = "lingyin-hotkey-portal"

    def __init__(self, combo: KeyCombo, bus: str = "SESSION", poll_seconds: float = 0.2) -> None:
        super().__init__(combo, poll_seconds)
        self.bus = bus
        self.bound = threading.Event()  # the shortcut is bound (tests wait for it)

    # ---- the worker thread ----------------------------------------------------------------
    def _run(self, sink: HotkeySink) -> None:
        from jeepney.io.blocking import open_dbus_connection

        try:
            conn = open_dbus_connection(bus=self.bus)
        except Exception as exc:
            sink.unavailable(f"无法连接 D-Bus 会话总线（{exc}）")
            return
        session = ""
        try:
            with self._signals(conn) as signals:  # before binding: none is missed
                session = self._bind(conn)
                self.bound.set()
                self._listen(conn, session, signals, sink)
        except PortalError as exc:
            sink.unavailable(str(exc))
        except Exception as exc:
            if not self._stop.is_set():
                log.exception("the portal hotkey failed")
                sink.unavailable(f"桌面门户出错：{exc}")
        finally:
            self._close(conn, session)

    def _bind(self, conn: Any) -> str:
        from jeepney import DBusAddress, Properties
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        portal = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
        try:
            unwrap_msg(conn.send_and_get_reply(Properties(portal).get("version"),
                                               timeout=CALL_TIMEOUT))
        except (DBusErrorResponse, TimeoutError) as exc:
            raise PortalError("这个桌面没有提供全局快捷键接口（GlobalShortcuts 门户）") from exc
        results = self._request(conn, portal, "CreateSession", "a{sv}", (),
                                {"session_handle_token": ("s", f"lingyin{os.getpid()}")})
        session = str(results.get("session_handle", ("s", ""))[1])
        if not session:
            raise PortalError("桌面门户没有创建快捷键会话")
        shortcut = (SHORTCUT_ID, {"description": ("s", "灵音：按住说话"),
                                  "preferred_trigger": ("s", self.combo.portal_trigger)})
        bound = self._request(conn, portal, "BindShortcuts", "oa(sa{sv})sa{sv}",
                              (session, [shortcut], ""), {})
        shortcuts = bound.get("shortcuts", ("a(sa{sv})", [(SHORTCUT_ID, {})]))[1]
        if not any(item[0] == SHORTCUT_ID for item in shortcuts):
            raise PortalError("桌面没有绑定灵音的快捷键（被拒绝或取消了）")
        return session

    def _request(self, conn: Any, portal: Any, method: str, signature: str,
                 args: tuple[Any, ...], options: dict[str, Any]) -> dict[str, Any]:
        """Call a portal method that answers with a Request object, and wait (stoppably) for
        that request's Response signal; its results."""
        from jeepney import MatchRule, message_bus, new_method_call
        from jeepney.io.blocking import Proxy
        from jeepney.low_level import HeaderFields
        from jeepney.wrappers import unwrap_msg

        token = f"lingyin{os.getpid()}_{next(_tokens)}"
        body = (*args, {**options, "handle_token": ("s", token)})
        sender = str(conn.unique_name).lstrip(":").replace(".", "_")
        expected = f"{OBJECT_PATH}/request/{sender}/{token}"
        rule = MatchRule(type="signal", interface="org.freedesktop.portal.Request",
                         member="Response")
        Proxy(message_bus, conn, timeout=CALL_TIMEOUT).AddMatch(rule)
        with conn.filter(rule, queue=deque()) as responses:
            reply = conn.send_and_get_reply(new_method_call(portal, method, signature, body),
                                            timeout=CALL_TIMEOUT)
            handle = str(unwrap_msg(reply)[0]) or expected
            while not self._stop.is_set():
                try:
                    message = conn.recv_until_filtered(responses, timeout=self.poll_seconds)
                except TimeoutError:
                    continue
                if message.header.fields.get(HeaderFields.path) not in (handle, expected):
                    continue
                code, results = message.body
                if code != 0:
                    raise PortalError("在桌面的提示里取消了快捷键" if code == 1
                                      else f"桌面门户拒绝了 {method}")
                return dict(results)
        raise PortalError("已停止")

    def _signals(self, conn: Any) -> Any:
        """A filter collecting the portal's Activated / Deactivated signals (a context)."""
        from jeepney import MatchRule, message_bus
        from jeepney.io.blocking import Proxy

        rule = MatchRule(type="signal", interface=INTERFACE, path=OBJECT_PATH)
        Proxy(message_bus, conn, timeout=CALL_TIMEOUT).AddMatch(rule)
        return conn.filter(rule, queue=deque())

    def _listen(self, conn: Any, session: str, signals: deque[Any], sink: HotkeySink) -> None:
        from jeepney.low_level import HeaderFields

        while not self._stop.is_set():
            try:
                message = conn.recv_until_filtered(signals, timeout=self.poll_seconds)
            except TimeoutError:
                continue
            handle, shortcut = message.body[0], message.body[1]
            if handle != session or shortcut != SHORTCUT_ID:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "Activated":
                sink.key_pressed()
            elif member == "Deactivated":
                sink.key_released()

    def _close(self, conn: Any, session: str) -> None:
        from jeepney import DBusAddress, new_method_call

        try:
            if session:
                address = DBusAddress(session, bus_name=BUS_NAME,
                                      interface="org.freedesktop.portal.Session")
                conn.send(new_method_call(address, "Close"))
        except Exception as exc:
            log.debug("closing the portal session failed: %s", exc)
        finally:
            conn.close()

