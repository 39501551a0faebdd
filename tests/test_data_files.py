"""The user's own files (settings.json, history.json, timers.json, contacts.json, gui.json) damaged
by hand: one bad part never loses the rest, the bad file is kept as ``NAME.broken-<time>``
before anything is written over it, nothing stops Lingyin from starting, and the user is told,
naming the file: in the window, and on stderr from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.actions.contacts import ContactStore
from app.actions.timer_store import Entry, Kind, TimerStore
from app.config import load_settings, save_settings
from app.gui.history import HistoryEntry, HistoryStore

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_900_000_000.0  # a time in the future: timers set then are still running now


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("config", "data", "cache"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(f"LINGYIN_{name.upper()}_DIR", str(tmp_path / name))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path


def broken_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.broken-*"))


def kept_as_broken(path: Path, original: bytes) -> Path:
    """The one ``NAME.broken-<time>`` copy of ``path``, holding exactly ``original``."""
    copies = broken_copies(path)
    assert len(copies) == 1, f"expected one broken copy of {path.name}, found {copies}"
    assert copies[0].read_bytes() == original
    return copies[0]


# ---- history.json ---------------------------------------------------------------------------
def history_entry(i: int) -> dict[str, Any]:
    return {"text": f"命令{i}", "domain": "clock", "intent": "now", "slots": {},
            "reply": f"回答{i}", "time": NOW + i, "kind": "turn"}


def write_history(path: Path, entries: list[Any]) -> bytes:
    raw = json.dumps({"version": 1, "entries": entries}, ensure_ascii=False).encode()
    path.write_bytes(raw)
    return raw


def test_one_bad_history_entry_loses_nothing(dirs: Path) -> None:
    path = dirs / "data" / "history.json"
    entries = [history_entry(i) for i in range(5)]
    entries[2]["time"] = "昨天"  # one hand-edited entry
    original = write_history(path, entries)
    store = HistoryStore(path)
    assert [e.text for e in store.entries] == ["命令0", "命令1", "命令3", "命令4"]
    kept_as_broken(path, original)
    store.add(HistoryEntry("现在几点", time=NOW + 9))
    saved = json.loads(path.read_text("utf-8"))["entries"]
    assert [e["text"] for e in saved] == ["命令0", "命令1", "命令3", "命令4", "现在几点"]
    kept_as_broken(path, original)  # still the one copy of the original


def test_an_unreadable_history_is_kept_before_the_next_command(dirs: Path) -> None:
    path = dirs / "data" / "history.json"
    original = b'{"version": 1, "entries": [{"text": "\xb9\xfe"'  # cut short, not UTF-8
    path.write_bytes(original)
    store = HistoryStore(path)
    assert store.entries == []
    store.add(HistoryEntry("现在几点", time=NOW))
    kept_as_broken(path, original)


# ---- settings.json --------------------------------------------------------------------------
def test_a_setting_of_the_wrong_type_falls_back_alone(dirs: Path) -> None:
    path = dirs / "config" / "settings.json"
    original = json.dumps({"home_assistant_token": 123, "default_city": "上海",
                           "home_assistant_url": "http://ha.local:8123", "volume_step": "五",
                           "my_note": "kept"}, ensure_ascii=False).encode()
    path.write_bytes(original)
    loaded = load_settings(path)
    assert loaded.home_assistant_token == "" and loaded.volume_step == 10  # the defaults
    assert loaded.default_city == "上海" and loaded.home_assistant_url == "http://ha.local:8123"
    kept_as_broken(path, original)
    save_settings(replace(loaded, ptt_toggle=True), path)
    saved = json.loads(path.read_text("utf-8"))
    assert saved["default_city"] == "上海" and saved["my_note"] == "kept"
    assert saved["ptt_toggle"] is True
    kept_as_broken(path, original)


def test_unreadable_settings_are_kept_before_a_setting_changes(dirs: Path) -> None:
    path = dirs / "config" / "settings.json"
    original = '{"home_assistant_token": "secret-token", "default_city": "上海",}'.encode()
    path.write_bytes(original)  # a trailing comma: not JSON
    loaded = load_settings(path)
    assert loaded.home_assistant_token == ""
    save_settings(replace(loaded, ptt_toggle=True), path)
    assert b"secret-token" in kept_as_broken(path, original).read_bytes()


def test_settings_that_are_not_utf8_keep_what_can_be_read(dirs: Path) -> None:
    path = dirs / "config" / "settings.json"
    original = '{"default_city": "上海", "home_assistant_token": "abc"}'.encode("gbk")
    path.write_bytes(original)  # saved by an editor in GBK
    loaded = load_settings(path)
    assert loaded.home_assistant_token == "abc" and loaded.default_city == "北京"
    kept_as_broken(path, original)


def test_a_settings_file_that_cannot_be_kept_aside_is_not_overwritten(
        dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.datafiles

    def no_room(path: Path, data: bytes) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app.datafiles, "keep_copy", no_room)  # no copy can be made beside it
    path = dirs / "config" / "settings.json"
    original = b'{"home_assistant_token": "secret-token",'
    path.write_bytes(original)
    loaded = load_settings(path)
    with pytest.raises(OSError):
        save_settings(replace(loaded, ptt_toggle=True), path)
    assert path.read_bytes() == original and broken_copies(path) == []
    monkeypatch.undo()  # room again: the copy is made, then the file written
    save_settings(replace(loaded, ptt_toggle=True), path)
    kept_as_broken(path, original)


# ---- timers.json ----------------------------------------------------------------------------
def timer(id_: str, name: str = "") -> dict[str, Any]:
    return Entry(id=id_, kind=Kind.TIMER, end=NOW + 300, created=NOW, name=name,
                 duration=300.0).to_json()


def write_timers(path: Path, entries: list[Any]) -> bytes:
    raw = json.dumps({"version": 1, "entries": entries}, ensure_ascii=False).encode()
    path.write_bytes(raw)
    return raw


def test_timer_entries_of_the_wrong_type_are_kept_aside_before_a_write(dirs: Path) -> None:
    path = dirs / "data" / "timers.json"
    original = write_timers(path, [timer("good1", "披萨"), {**timer("bad1"), "end": "soon"},
                                   {**timer("bad2"), "name": 5}, timer("good2")])
    store = TimerStore(path)
    assert sorted(e.id for e in store.entries()) == ["good1", "good2"]
    store.add(Entry.new(Kind.TIMER, NOW + 60, NOW))
    assert len(store.entries()) == 3
    kept_as_broken(path, original)


def test_a_timer_store_that_is_not_utf8_keeps_its_good_entries(dirs: Path) -> None:
    path = dirs / "data" / "timers.json"
    text = json.dumps({"version": 1, "entries": [timer("good", "披萨"), timer("bad", "NAME")]},
                      ensure_ascii=False)
    original = text.replace("NAME", "烤鸡").encode("utf-8").replace(
        "烤鸡".encode(), "烤鸡".encode("gbk"))
    path.write_bytes(original)
    store = TimerStore(path)
    assert [(e.id, e.name) for e in store.entries()] == [("good", "披萨")]
    kept_as_broken(path, original)


# ---- contacts.json --------------------------------------------------------------------------
def test_one_bad_contact_keeps_the_others(dirs: Path) -> None:
    path = dirs / "data" / "contacts.json"
    original = json.dumps({"version": 1, "contacts": [
        {"name": "张三", "nicknames": [], "phones": [{"kind": "手机", "number": "13800138000"}]},
        {"name": "李四", "phones": "13900139000"},
        {"name": "妈妈", "nicknames": ["老妈"], "phones": []}]}, ensure_ascii=False).encode()
    path.write_bytes(original)
    assert [c.name for c in ContactStore(path).load()] == ["张三", "妈妈"]
    kept_as_broken(path, original)


# ---- gui.json (the window's remembered notices) -----------------------------------------------
def test_a_broken_gui_state_file_is_kept_before_it_is_written(dirs: Path) -> None:
    from app.gui.hotkey import NoticeFlag

    path = dirs / "data" / "gui.json"
    original = b'{"tray_notice_shown": true, "hotkey_notice": 5'
    path.write_bytes(original)
    flag = NoticeFlag(path)
    assert not flag.told("没有全局快捷键")
    flag.remember("没有全局快捷键")
    assert flag.told("没有全局快捷键")
    kept_as_broken(path, original)


# ---- the command line: nothing stops it, one line on stderr names the file --------------------
def lingyin(dirs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINGYIN_CONFIG_DIR": str(dirs / "config"),
           "LINGYIN_DATA_DIR": str(dirs / "data"), "LINGYIN_CACHE_DIR": str(dirs / "cache"),
           "LINGYIN_WEATHER_URL": "http://127.0.0.1:9/forecast"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def warnings_about(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if name in line]


def test_cli_starts_with_a_non_utf8_timer_store_and_names_it(dirs: Path) -> None:
    path = dirs / "data" / "timers.json"
    original = json.dumps({"version": 1, "entries": [timer("good", "披萨"), timer("bad", "X")]},
                          ensure_ascii=False).encode().replace(b'"X"', b'"\xb9\xfe"')
    path.write_bytes(original)
    listed = lingyin(dirs, "timers", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == ["good"]
    said = warnings_about(listed.stderr, str(path))
    assert len(said) == 1 and "kept 1" in said[0], listed.stderr
    ran = lingyin(dirs, "run", "--json", "设一个五分钟的计时器")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[0])["performed"] is True
    assert len(TimerStore(path).entries()) == 2
    kept_as_broken(path, original)


def test_cli_starts_with_a_number_for_the_token_and_names_the_file(dirs: Path) -> None:
    path = dirs / "config" / "settings.json"
    path.write_text(json.dumps({"home_assistant_token": 123, "default_city": "上海"}), "utf-8")
    ran = lingyin(dirs, "run", "--json", "现在几点")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[0])["performed"] is True
    said = warnings_about(ran.stderr, str(path))
    assert len(said) == 1 and "home_assistant_token" in said[0], ran.stderr


# ---- the window tells the user ----------------------------------------------------------------
def shown_texts(window: Any) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(label.text() for label in window.findChildren(QLabel)
                     if label.isVisible())


def test_the_window_names_each_damaged_file_and_what_was_kept(qtbot, dirs: Path) -> None:  # type: ignore[no-untyped-def]
    from app.gui.bridge import Bridge
    from app.gui.window import MainWindow

    history = dirs / "data" / "history.json"
    entries = [history_entry(i) for i in range(5)]
    entries[4]["slots"] = 7
    entries[4]["text"] = None
    write_history(history, entries)
    settings = dirs / "config" / "settings.json"
    settings.write_text(json.dumps({"home_assistant_token": 123, "default_city": "上海"}),
                        "utf-8")
    window = MainWindow(Bridge(), HistoryStore(history), settings_file=settings)
    qtbot.addWidget(window)
    window.show()
    assert len(window.history_view.entries()) == 4
    shown = shown_texts(window)
    for path in (history, settings):
        assert path.name in shown and str(broken_copies(path)[0]) in shown, shown
    assert "已保留 4 条" in shown and "home_assistant_token" in shown

    timers = dirs / "data" / "timers.json"
    write_timers(timers, [timer("good"), {**timer("bad"), "kind": "egg"}])
    worker = threading.Thread(target=lambda: TimerStore(timers).entries())  # the scheduler's
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: "timers.json" in shown_texts(window), timeout=3000)
    window.close()


def test_the_window_starts_its_core_with_damaged_settings_and_timers(  # type: ignore[no-untyped-def]
        qtbot, dirs: Path, recognizer, to_hanzi, default_understander) -> None:
    """The window's core once stopped at 无法启动 on a number for the token (or timers that are
    not UTF-8); now it starts, and the window names both files. (``default_understander`` holds
    the default grammar's graph, which the user's copy of it shares, as in any process that has
    it loaded: the fresh cache folder does not cost a compile.)"""
    from listen_helpers import silence

    from app.gui.bridge import Bridge
    from app.gui.startup import live_factory
    from app.gui.window import MainWindow
    from app.listener.sources import FileSource

    settings = dirs / "config" / "settings.json"
    settings.write_text(json.dumps({"home_assistant_token": 123, "speak": False,
                                    "home_assistant_url": "http://127.0.0.1:9"}), "utf-8")
    timers = dirs / "data" / "timers.json"
    timers.write_bytes(json.dumps({"version": 1, "entries": [timer("good"), timer("bad", "X")]},
                                  ensure_ascii=False).encode().replace(b'"X"', b'"\xb9\xfe"'))
    bridge = Bridge()
    window = MainWindow(bridge, HistoryStore(dirs / "data" / "history.json"),
                        settings_file=settings)
    qtbot.addWidget(window)
    window.show()
    bridge.load(live_factory(load_settings(settings), recognizer=recognizer, to_hanzi=to_hanzi,
                             source=FileSource("silence", 512, samples=silence(1))))
    qtbot.waitUntil(lambda: window.state_light.state not in ("", "loading"), timeout=30000)
    assert window.state_light.state != "failed", window.errors.text
    qtbot.waitUntil(lambda: "timers.json" in shown_texts(window), timeout=5000)
    assert "settings.json" in shown_texts(window)
    window.close()


# ---- random damage: no reader stops, no original is lost ----------------------------------------
def _good_file(kind: str) -> bytes:
    if kind == "settings":
        data: Any = {"default_city": "上海", "home_assistant_token": "secret", "volume_step": 5,
                     "wake_phrases": ["你好小灵"], "follow_up": 2.5, "chime": False}
    elif kind == "history":
        data = {"version": 1, "entries": [history_entry(i) for i in range(5)]}
    elif kind == "timers":
        data = {"version": 1, "entries": [timer(f"t{i}", f"计时{i}") for i in range(5)]}
    else:
        data = {"version": 1, "contacts": [
            {"name": f"联系人{i}", "nicknames": [f"小{i}"],
             "phones": [{"kind": "手机", "number": f"1380013800{i}"}]} for i in range(5)]}
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _damage(good: bytes, rng: Any) -> bytes:
    """One of: cut short, a byte changed, bytes that are not UTF-8 put in, a value of the wrong
    type put in place of another."""
    how = rng.randrange(4)
    at = rng.randrange(len(good))
    if how == 0:
        return good[:at]
    if how == 1:
        return good[:at] + bytes([rng.randrange(256)]) + good[at + 1:]
    if how == 2:
        return good[:at] + b"\xb9\xfe" + good[at:]
    data = json.loads(good)
    target = data if "version" not in data else rng.choice(
        data.get("entries") or data.get("contacts"))
    key = rng.choice(sorted(target))
    target[key] = rng.choice([123, "文本", None, [], {}, True, 1e308 * 10, [1, "x"]])
    return json.dumps(data, ensure_ascii=False).encode()


def _read_then_write(kind: str, path: Path) -> None:
    from app.actions.contacts import ContactsError

    if kind == "settings":
        save_settings(replace(load_settings(path), ptt_toggle=True), path)
    elif kind == "history":
        HistoryStore(path).add(HistoryEntry("现在几点", time=NOW))
    elif kind == "timers":
        store = TimerStore(path)
        store.entries()
        store.add(Entry.new(Kind.TIMER, NOW + 60, NOW))
    else:
        book = ContactStore(path)
        try:
            contacts = book.load()
        except ContactsError:  # nothing in it could be used: the command says so
            contacts = []
        book.save(contacts)


@pytest.mark.parametrize("kind", ["settings", "history", "timers", "contacts"])
def test_random_damage_never_stops_a_reader_or_loses_the_original(kind: str,
                                                                  tmp_path: Path) -> None:
    import random

    rng = random.Random(14)
    good = _good_file(kind)
    kept = 0
    for case in range(150):
        path = tmp_path / str(case) / f"{kind}.json"
        path.parent.mkdir()
        damaged = _damage(good, rng)
        path.write_bytes(damaged)
        _read_then_write(kind, path)  # never raises
        copies = broken_copies(path)
        assert len(copies) <= 1
        if copies:
            assert copies[0].read_bytes() == damaged
            kept += 1
        else:  # no copy: the file was whole, so nothing of it was lost
            assert json.loads(damaged)
    assert kept > 100  # most damage is damage
