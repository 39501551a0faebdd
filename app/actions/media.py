"""Media playback: play/pause/resume/next/previous on the user's player, and a song by title.

On Linux the player is driven through MPRIS over the D-Bus session bus (``MprisController``,
with ``jeepney``: pure Python, blocking calls with a timeout, no event loop to run in a worker
thread); the player acted on is the first one playing, else the first paused, else the first.
Windows gets the media keys, macOS the Music app through ``osascript``. ``media.play_song``
looks the title up in the music folder (``music.MusicLibrary``) and opens the file with the
system's handler (xdg-open, open, os.startfile), so it plays in the user's own player.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

from app.actions._platform import Runner, RunResult, open_with_system, run
from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.music import MusicLibrary, Song, default_music_folder
from app.config import AppSettings

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
MPRIS_PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
METHODS = {"play": "Play", "pause": "Pause", "next": "Next", "previous": "Previous"}
STATUS_RANK = {"Playing": 0, "Paused": 1}


class NoPlayer(Exception):
    """No player could be reached. ``reason`` is for the user, the message for the log."""

    def __init__(self, reason: str, cause: str) -> None:
        super().__init__(cause)
        self.reason = reason


class MediaController(Protocol):
    def command(self, verb: str) -> str:
        """Send ``verb`` (a key of METHODS) to a player; returns the player's name."""
        ...


class MprisController:
    """MPRIS players on a D-Bus session bus (``address`` None: $DBUS_SESSION_BUS_ADDRESS)."""

    def __init__(self, address: str | None = None, timeout: float = 2.0) -> None:
        self.address = address
        self.timeout = timeout

    def command(self, verb: str) -> str:
        try:
            from jeepney import DBusAddress, new_method_call
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as error:
            raise NoPlayer("没有可用的D-Bus程序库", f"jeepney unavailable: {error}") from error
        try:
            with open_dbus_connection(self.address or "SESSION",
                                      auth_timeout=self.timeout) as bus:
                name = self._choose(bus)
                player = DBusAddress(MPRIS_PATH, bus_name=name, interface=PLAYER)
                self._call(bus, new_method_call(player, METHODS[verb]))
                return name[len(MPRIS_PREFIX):]
        except KeyError as error:  # no $DBUS_SESSION_BUS_ADDRESS
            raise NoPlayer("找不到桌面的会话总线（D-Bus）", f"no session bus: {error}") from error
        except TimeoutError as error:
            raise NoPlayer("播放器没有回应", f"D-Bus timeout: {error}") from error
        except (OSError, ValueError, RuntimeError) as error:
            raise NoPlayer("连不上桌面的会话总线（D-Bus）",
                           f"{type(error).__name__}: {error}") from error

    def _call(self, bus: Any, message: Any) -> tuple[Any, ...]:
        from jeepney import DBusErrorResponse
        from jeepney.wrappers import unwrap_msg

        try:
            return tuple(unwrap_msg(bus.send_and_get_reply(message, timeout=self.timeout)))
        except DBusErrorResponse as error:
            raise NoPlayer("播放器拒绝了这个操作", f"{error.name}: {error.data}") from error

    def _choose(self, bus: Any) -> str:
        from jeepney import DBusAddress, Properties
        from jeepney.bus_messages import message_bus

        names = sorted(str(n) for n in self._call(bus, message_bus.ListNames())[0]
                       if str(n).startswith(MPRIS_PREFIX))
        if not names:
            raise NoPlayer("没有找到正在运行的播放器，请先打开一个音乐播放器",
                           "no org.mpris.MediaPlayer2.* on the bus")

        def rank(name: str) -> int:
            address = DBusAddress(MPRIS_PATH, bus_name=name, interface=PLAYER)
            try:
                _, status = self._call(bus, Properties(address).get("PlaybackStatus"))[0]
            except (NoPlayer, TimeoutError):  # a player that does not answer comes last
                return len(STATUS_RANK)
            return STATUS_RANK.get(str(status), len(STATUS_RANK))

        return min(names, key=rank)  # min keeps the first (sorted) name among equals


class MediaKeys:
    """Windows: the keyboard's media keys (play/pause is one toggle key there)."""

    KEYS: ClassVar[dict[str, int]] = {"play": 0xB3, "pause": 0xB3, "next": 0xB0, "previous": 0xB1}

    def command(self, verb: str) -> str:
        try:
            import ctypes

            user32: Any = ctypes.windll.user32  # type: ignore[attr-defined]
        except (ImportError, AttributeError, OSError) as error:
            raise NoPlayer("这个系统不能发送媒体键", f"no user32: {error}") from error
        key = self.KEYS[verb]
        user32.keybd_event(key, 0, 0, 0)
        user32.keybd_event(key, 0, 2, 0)  # KEYEVENTF_KEYUP
        return "media keys"


class MusicApp:
    """macOS: the Music app through ``osascript`` (argument lists; fixed scripts)."""

    SCRIPTS: ClassVar[dict[str, str]] = {"play": "play", "pause": "pause",
                                         "next": "next track", "previous": "previous track"}

    def __init__(self, runner: Runner = run) -> None:
        self.runner = runner

    def command(self, verb: str) -> str:
        argv = ["osascript", "-e", f'tell application "Music" to {self.SCRIPTS[verb]}']
        result = self.runner(argv)
        if not result.ok:
            raise NoPlayer("音乐应用没有回应", result.cause(argv))
        return "Music"


def default_controller(platform: str = sys.platform) -> MediaController:
    if platform == "win32":
        return MediaKeys()
    if platform == "darwin":
        return MusicApp()
    return MprisController()


Opener = Callable[[str], RunResult]
DONE = {"play": "开始播放", "pause": "已暂停", "next": "好的，下一首", "previous": "好的，上一首"}
DOING = {"play": "让播放器开始播放", "pause": "暂停播放器", "next": "播放下一首",
         "previous": "播放上一首"}


class MediaActions(Actions):
    def __init__(self, controller: MediaController, library: MusicLibrary,
                 opener: Opener = open_with_system) -> None:
        self.controller = controller
        self.library = library
        self.opener = opener

    @classmethod
    def from_settings(cls, settings: AppSettings, controller: MediaController | None = None,
                      opener: Opener | None = None) -> MediaActions:
        folder = Path(settings.music_folder).expanduser() if settings.music_folder \
            else default_music_folder()
        return cls(controller or default_controller(), MusicLibrary(folder),
                   opener or open_with_system)

    def handlers(self) -> Mapping[str, Handler]:
        return {"media.play": self.play, "media.play_song": self.play_song,
                "media.pause": lambda r: self._send(r, "pause"),
                "media.resume": lambda r: self._send(r, "play", "继续播放"),
                "media.next": lambda r: self._send(r, "next"),
                "media.previous": lambda r: self._send(r, "previous")}

    def play(self, request: ActionRequest) -> ActionResult:
        result = self._send(request, "play")
        if result.performed or request.dry_run:
            return result
        song = self.library.any()  # no player yet: start one on a song from the music folder
        return self._open(song) if song is not None else result

    def play_song(self, request: ActionRequest) -> ActionResult:
        title = _text(request.slots, "song", "query")
        artist = _text(request.slots, "artist", "singer")
        if not title and not artist:
            return self.play(request)
        wanted = (f"{artist}的" if artist else "") + (f"《{title}》" if title else "歌")
        if request.dry_run:
            return ActionResult.dry(f"在音乐文件夹里找{wanted}并播放")
        if not self.library.available():
            return ActionResult.failed(f"没有找到音乐文件夹，放不了{wanted}",
                                       f"music folder {self.library.folder} does not exist")
        song = self.library.find(title, artist)
        if song is None:
            return ActionResult.failed(f"音乐文件夹里没有找到{wanted}",
                                       f"no match for title={title!r} artist={artist!r} "
                                       f"among {len(self.library.songs())} files in "
                                       f"{self.library.folder}")
        return self._open(song)

    def _send(self, request: ActionRequest, verb: str, done: str | None = None) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry(DOING[verb] if done is None else done)
        try:
            player = self.controller.command(verb)
        except NoPlayer as error:
            return ActionResult.failed(error.reason, str(error))
        return ActionResult(True, reply=done or DONE[verb], values={"player": player},
                            context={"player": player})

    def _open(self, song: Song) -> ActionResult:
        outcome = self.opener(str(song.path))
        name = f"{song.artist}的《{song.title}》" if song.artist else f"《{song.title}》"
        if not outcome.ok:
            return ActionResult.failed(f"没能打开{name}", outcome.cause(["open", str(song.path)]))
        return ActionResult(True, reply=f"好的，播放{name}",
                            values={"song": song.title, "artist": song.artist},
                            context={"song": song.title, "path": str(song.path)})


def _text(slots: Mapping[str, object], *names: str) -> str:
    for name in names:
        value = slots.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
