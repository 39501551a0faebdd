"""Media actions through a real D-Bus session bus (a private ``dbus-daemon``) and fake MPRIS
players on it that record the methods they receive; songs from a real folder of audio files."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from jeepney import HeaderFields, Message, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from app.actions._platform import RunResult, open_with_system
from app.actions.base import ActionRequest, ActionResult
from app.actions.media import PLAYER, MediaActions, MprisController, MusicApp
from app.actions.music import MusicLibrary, song_from_name
from app.config import AppSettings
from intents.grammar import load_grammar
from intents.matcher import Matcher

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"


@pytest.fixture(scope="module")
def bus_address() -> Iterator[str]:
    """A private session bus for this module (never the user's)."""
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon not found: install Debian's dbus (packaging/setup.sh does)",
                    pytrace=False)
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert daemon.stdout is not None
    try:
        ready, _, _ = select.select([daemon.stdout], [], [], 10)
        address = daemon.stdout.readline().decode().strip() if ready else ""
        if not address:
            pytest.fail("dbus-daemon printed no address within 10 s", pytrace=False)
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


class FakePlayer:
    """An MPRIS player on the bus: answers PlaybackStatus and records Player method calls."""

    def __init__(self, address: str, name: str, status: str = "Paused",
                 refuse: Sequence[str] = (), silent: bool = False) -> None:
        self.name = f"org.mpris.MediaPlayer2.{name}"
        self.status, self.refuse, self.silent = status, set(refuse), silent
        self.calls: list[str] = []
        self.bus: DBusConnection = open_dbus_connection(address)
        reply = self.bus.send_and_get_reply(message_bus.RequestName(self.name), timeout=5)
        assert reply.body == (1,), reply.body  # the primary owner
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.bus.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self.bus.receive(timeout=0.05)
            except TimeoutError:
                continue
            if message.header.message_type == MessageType.method_call and not self.silent:
                self.bus.send(self._answer(message))

    def _answer(self, message: Message) -> Message:
        fields = message.header.fields
        interface, member = fields.get(HeaderFields.interface), fields[HeaderFields.member]
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            if message.body == (PLAYER, "PlaybackStatus"):
                return new_method_return(message, "v", (("s", self.status),))
            return new_error(message, "org.freedesktop.DBus.Error.UnknownProperty")
        if interface == PLAYER and member in {"Play", "Pause", "PlayPause", "Next", "Previous"}:
            if member in self.refuse:
                return new_error(message, "org.mpris.MediaPlayer2.Error.NotSupported")
            self.calls.append(member)
            self.status = {"Play": "Playing", "Pause": "Paused"}.get(member, self.status)
            return new_method_return(message)
        return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")


@pytest.fixture
def players(bus_address: str) -> Iterator[list[FakePlayer]]:
    started: list[FakePlayer] = []
    yield started
    for player in started:
        player.close()


class Opener:
    def __init__(self, code: int = 0) -> None:
        self.opened: list[str] = []
        self.code = code

    def __call__(self, target: str) -> RunResult:
        self.opened.append(target)
        return RunResult(self.code, error="no handler" if self.code else "")


def request(action: str, slots: Mapping[str, object] | None = None,
            dry_run: bool = False) -> ActionRequest:
    return ActionRequest(action, "media", action.split(".")[1], slots or {}, dry_run=dry_run)


def act(actions: MediaActions, action: str, **kwargs: object) -> ActionResult:
    return actions.handlers()[action](request(action, **kwargs))  # type: ignore[arg-type]


def mpris(address: str, folder: Path, opener: Opener | None = None,
          timeout: float = 2.0) -> MediaActions:
    return MediaActions(MprisController(address, timeout=timeout),
                        MusicLibrary(folder, rescan_after=0), opener or Opener())


def test_every_media_action_of_the_default_grammar_has_a_handler(tmp_path: Path) -> None:
    names = {i.action for i in load_grammar(GRAMMAR).intents if i.domain == "media"}
    assert names == set(mpris("unix:path=/none", tmp_path).handlers())


def test_the_playing_player_is_chosen(bus_address: str, players: list[FakePlayer],
                                      tmp_path: Path) -> None:
    paused = FakePlayer(bus_address, "aaa", "Paused")
    playing = FakePlayer(bus_address, "zzz", "Playing")
    players += [paused, playing]
    actions = mpris(bus_address, tmp_path)
    result = act(actions, "media.pause")
    assert (result.performed, result.reply, result.values) == (True, "已暂停", {"player": "zzz"})
    assert (playing.calls, paused.calls) == (["Pause"], [])
    assert act(actions, "media.resume").reply == "继续播放"  # both paused now: the first one
    assert (playing.calls, paused.calls) == (["Pause"], ["Play"])
    assert act(actions, "media.next").reply == "好的，下一首"
    assert act(actions, "media.previous").reply == "好的，上一首"
    assert paused.calls == ["Play", "Next", "Previous"]


def test_play_without_a_playing_player_takes_the_first(bus_address: str,
                                                       players: list[FakePlayer],
                                                       tmp_path: Path) -> None:
    players += [FakePlayer(bus_address, "vlc", "Stopped"),
                FakePlayer(bus_address, "mpv", "Stopped")]
    result = act(mpris(bus_address, tmp_path), "media.play")
    assert result.performed and result.reply == "开始播放"
    assert [p.calls for p in players] == [[], ["Play"]]  # mpv sorts first


def test_no_player_is_a_friendly_reply(bus_address: str, tmp_path: Path) -> None:
    actions = mpris(bus_address, tmp_path)
    for action in ("media.pause", "media.next", "media.resume", "media.play"):
        result = act(actions, action)
        assert not result.performed
        assert result.reply == "没有找到正在运行的播放器，请先打开一个音乐播放器"
        assert result.error


def test_play_without_a_player_opens_a_song_from_the_folder(bus_address: str,
                                                            tmp_path: Path) -> None:
    (tmp_path / "稻香.mp3").write_bytes(b"")
    opener = Opener()
    result = act(mpris(bus_address, tmp_path, opener), "media.play")
    assert result.performed and result.reply == "好的，播放《稻香》"
    assert opener.opened == [str(tmp_path / "稻香.mp3")]


def test_a_refused_and_a_silent_player(bus_address: str, players: list[FakePlayer],
                                       tmp_path: Path) -> None:
    players.append(FakePlayer(bus_address, "radio", "Playing", refuse=["Next"]))
    result = act(mpris(bus_address, tmp_path), "media.next")
    assert not result.performed and result.reply == "播放器拒绝了这个操作"
    assert "NotSupported" in (result.error or "")
    players.pop().close()
    players.append(FakePlayer(bus_address, "stuck", silent=True))
    start = time.monotonic()
    result = act(mpris(bus_address, tmp_path, timeout=0.3), "media.pause")
    assert not result.performed and result.reply == "播放器没有回应"
    assert time.monotonic() - start < 3


def test_no_session_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = act(mpris(f"unix:path={tmp_path}/no-bus", tmp_path), "media.pause")
    assert not result.performed and result.reply == "连不上桌面的会话总线（D-Bus）"
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    actions = MediaActions.from_settings(AppSettings(music_folder=str(tmp_path)))
    result = act(actions, "media.pause")
    assert not result.performed and result.reply == "找不到桌面的会话总线（D-Bus）"


def test_from_settings_uses_the_session_bus_of_the_environment(
        bus_address: str, players: list[FakePlayer], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    players.append(FakePlayer(bus_address, "player"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)
    actions = MediaActions.from_settings(AppSettings(music_folder=str(tmp_path)))
    assert act(actions, "media.resume").performed
    assert players[0].calls == ["Play"]


def test_dry_run_sends_nothing(bus_address: str, players: list[FakePlayer],
                               tmp_path: Path) -> None:
    players.append(FakePlayer(bus_address, "player", "Playing"))
    opener = Opener()
    actions = mpris(bus_address, tmp_path, opener)
    for action in ("media.play", "media.pause", "media.resume", "media.next", "media.previous"):
        result = act(actions, action, dry_run=True)
        assert not result.performed and (result.reply or "").startswith("（演练）")
    result = act(actions, "media.play_song", slots={"song": "晴天"}, dry_run=True)
    assert result.description == "在音乐文件夹里找《晴天》并播放"
    assert players[0].calls == [] and opener.opened == []


# -- songs from the music folder ------------------------------------------------------------
@pytest.fixture
def music(tmp_path: Path) -> Path:
    folder = tmp_path / "Music"
    (folder / "陈奕迅").mkdir(parents=True)
    (folder / "周杰伦 - 晴天.mp3").write_bytes(b"not really audio")
    (folder / "03. 稻香.mp3").write_bytes(b"")
    (folder / "陈奕迅" / "十年.ogg").write_bytes(b"")
    (folder / "notes.txt").write_text("青花瓷", encoding="utf-8")
    with sf.SoundFile(folder / "track01.flac", "w", 16000, 1, format="FLAC") as handle:
        handle.title, handle.artist = "青花瓷", "周杰伦"
        handle.write(np.zeros(1600, np.float32))
    return folder


@pytest.mark.parametrize(("slots", "path", "reply"), [
    ({"song": "晴天"}, "周杰伦 - 晴天.mp3", "好的，播放周杰伦的《晴天》"),
    ({"query": "稻香"}, "03. 稻香.mp3", "好的，播放《稻香》"),
    ({"song": "青花瓷"}, "track01.flac", "好的，播放周杰伦的《青花瓷》"),  # from the tags
    ({"artist": "陈奕迅"}, "陈奕迅/十年.ogg", "好的，播放《十年》"),  # the artist's folder
    ({"singer": "周杰伦"}, "track01.flac", "好的，播放周杰伦的《青花瓷》"),  # first by path
    ({"artist": "周杰伦", "song": "青花瓷"}, "track01.flac", "好的，播放周杰伦的《青花瓷》"),
])
def test_play_song_opens_the_file(music: Path, slots: dict[str, str], path: str,
                                  reply: str) -> None:
    opener = Opener()
    result = act(mpris("unix:path=/none", music, opener), "media.play_song", slots=slots)
    assert (result.performed, result.reply) == (True, reply)
    assert opener.opened == [str(music / path)]


def test_a_song_not_in_the_folder(music: Path) -> None:
    opener = Opener()
    actions = mpris("unix:path=/none", music, opener)
    result = act(actions, "media.play_song", slots={"song": "七里香"})
    assert (result.performed, result.reply) == (False, "音乐文件夹里没有找到《七里香》")
    assert str(music) in (result.error or "") and opener.opened == []
    (music / "七里香.flac").write_bytes(b"")  # added since the index was built
    assert act(actions, "media.play_song", slots={"song": "七里香"}).performed


def test_a_missing_music_folder_and_a_failing_opener(music: Path) -> None:
    result = act(mpris("unix:path=/none", music / "nowhere"), "media.play_song",
                 slots={"song": "晴天"})
    assert (result.performed, result.reply) == (False, "没有找到音乐文件夹，放不了《晴天》")
    result = act(mpris("unix:path=/none", music, Opener(code=3)), "media.play_song",
                 slots={"song": "晴天"})
    assert (result.performed, result.reply) == (False, "没能打开周杰伦的《晴天》")
    assert "no handler" in (result.error or "")


def test_the_system_opener_gets_the_path_as_one_argument(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A real xdg-open stand-in on PATH records its argv: odd titles stay one argument."""
    bin_dir, log = tmp_path / "bin", tmp_path / "argv.txt"
    bin_dir.mkdir()
    script = bin_dir / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$#" "$@" > "{log}"\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    song = tmp_path / "Music" / "$(reboot); rm -rf ~ `id` && 'x'.mp3"
    song.parent.mkdir()
    song.write_bytes(b"")
    actions = MediaActions(MprisController("unix:path=/none"), MusicLibrary(song.parent),
                           open_with_system)
    result = act(actions, "media.play_song", slots={"query": "$(reboot)"})
    assert result.performed, result
    assert log.read_text(encoding="utf-8").splitlines() == ["1", str(song)]


def test_spoken_request_to_the_file(music: Path, default_matcher: Matcher) -> None:
    match = default_matcher.match("来一首周杰伦的晴天")  # the default grammar's matcher
    assert match is not None and (match.domain, match.intent) == ("media", "play_song")
    opener = Opener()
    actions = mpris("unix:path=/none", music, opener)
    result = actions.handlers()["media.play_song"](
        ActionRequest("media.play_song", "media", "play_song", dict(match.slots)))
    assert result.performed and opener.opened == [str(music / "周杰伦 - 晴天.mp3")]


def test_file_names() -> None:
    root = Path("/m")
    assert song_from_name(Path("/m/01 - 晴天.mp3"), root).title == "晴天"
    assert song_from_name(Path("/m/CD1-02 稻香.mp3"), root).title == "稻香"
    assert song_from_name(Path("/m/2002.mp3"), root).title == "2002"
    named = song_from_name(Path("/m/Jay/Fantasy/周杰伦 - 简单爱.flac"), root)
    assert (named.artist, named.title, named.where) == ("周杰伦", "简单爱", "jayfantasy")


def test_macos_music_app_argument_lists() -> None:
    calls: list[list[str]] = []

    def runner(argv: Sequence[str]) -> RunResult:
        calls.append(list(argv))
        return RunResult(0)

    assert MusicApp(runner).command("next") == "Music"
    assert calls == [["osascript", "-e", 'tell application "Music" to next track']]
