"""A warm start costs only what it needs (issue 16): pypinyin's readings of the grammar and wake
phrases come from the readings cache (asr/readings_cache.py), the pinyin→Hanzi converter loads
at its first use, the action modules and the other commands' modules are imported when used, and
the first run compiles the grammar once. The warm `lingyin listen` is checked in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import intents.speech
from app.actions.base import ActionRequest
from app.actions.registry import BUILT_IN_ACTIONS, CUSTOM_ACTIONS, Deferred, build_actions
from app.cli import build_parser, command_of
from app.config import AppSettings
from app.listener.wake import WakeWatcher
from asr import readings_cache, settings
from asr.hanzi import LazyConverter, lazy_to_hanzi
from asr.hotwords import phrase_tokens
from asr.readings import ReadingError, Unit, phrase_units, pinyin_readings
from asr.readings_cache import read_cache, readings_for, readings_key
from intents.compile import grammar_phrases
from intents.grammar import load_grammar
from intents.store import bundled_grammar_dir

ROOT = Path(__file__).resolve().parent.parent
WAKE_PHRASES = ["你好小灵", "小灵小灵", "想听歌曲", "嘿Siri"]


@pytest.fixture(scope="module")
def phrases() -> list[str]:
    """What a start reads: the default grammar's words and list items, and wake phrases."""
    return [*grammar_phrases(load_grammar(bundled_grammar_dir())), *WAKE_PHRASES]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache file path and an empty in-process memory."""
    monkeypatch.setattr(readings_cache, "_memory", {})
    return tmp_path / "readings.json"


def units_or_error(text: str, vocabulary: frozenset[str], **options: Any) -> list[Unit] | str:
    try:
        return phrase_units(text, vocabulary, **options)
    except ReadingError as exc:
        return f"ReadingError: {exc}"


# ---- the readings cache ------------------------------------------------------------------------
def test_cached_readings_are_pypinyins_for_the_default_grammar(recognizer, phrases: list[str],  # type: ignore[no-untyped-def]
                                                              fresh: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    vocabulary = frozenset(recognizer.model.tokens.ids())
    computed = readings_for(phrases, fresh)  # cold: pypinyin, then written to the file
    assert computed == tuple(pinyin_readings(p) for p in phrases)
    monkeypatch.setattr(readings_cache, "_memory", {})
    monkeypatch.setattr(readings_cache, "pinyin_readings", _no_pypinyin)
    cached = readings_for(phrases, fresh)  # warm: from the file alone
    assert cached == computed
    for phrase, readings in zip(phrases, cached, strict=True):
        for options in ({}, {"neutral": False, "words": True}):
            assert units_or_error(phrase, vocabulary, readings=readings, **options) == \
                units_or_error(phrase, vocabulary, **options), phrase


def test_hotword_tokens_are_the_same_with_the_cache(recognizer, phrases: list[str]) -> None:  # type: ignore[no-untyped-def]
    ids = recognizer.model.tokens.ids()
    vocabulary = frozenset(ids)
    expected = []
    for phrase in phrases:
        units = units_or_error(phrase, vocabulary)
        if not isinstance(units, str):
            expected.append([ids[t] for unit in units for t in unit.options[0]])
    assert phrase_tokens(phrases, ids) == expected


def _no_pypinyin(text: str) -> Any:
    raise AssertionError(f"pypinyin asked for {text!r}: the cache should have it")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "foreign", "inconsistent",
                                    "stale"])
def test_a_damaged_or_stale_cache_is_rebuilt(damage: str, fresh: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["打开客厅的灯", "播放音乐", "你好小灵"]
    expected = readings_for(texts, fresh)
    raw = fresh.read_bytes()
    head, body = raw.split(b"\n", 1)
    if damage == "garbage":
        fresh.write_bytes(b"\x00\xffnot a cache")
    elif damage == "truncated":
        fresh.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":  # one reading changed: the checksum no longer matches
        fresh.write_bytes(head + b"\n" + body.replace("ēng".encode(), "èng".encode()))
    elif damage == "foreign":  # valid JSON, right checksum, not what _encode writes
        fresh.write_bytes(_framed(readings_key(), {"texts": {"灯": "x"}, "chars": []}))
    elif damage == "inconsistent":  # a text whose characters have no readings
        fresh.write_bytes(_framed(readings_key(), {"texts": {"灯": [["d", "ēng"]]}, "chars": {}}))
    else:  # made by another pypinyin or other readings code
        fresh.write_bytes(_framed("0" * 64, json.loads(body)))
    assert read_cache(fresh, readings_key()) == {}
    monkeypatch.setattr(readings_cache, "_memory", {})
    asked: list[str] = []

    def counted(text: str) -> Any:
        asked.append(text)
        return pinyin_readings(text)

    monkeypatch.setattr(readings_cache, "pinyin_readings", counted)
    assert readings_for(texts, fresh) == expected
    assert sorted(asked) == sorted(texts)  # read again with pypinyin …
    assert set(read_cache(fresh, readings_key())) == set(texts)  # … and the file written anew


def _framed(key: str, body: Any) -> bytes:
    import hashlib

    raw = json.dumps(body, ensure_ascii=False).encode()
    head = {"format": readings_cache.FORMAT, "key": key, "sha256": hashlib.sha256(raw).hexdigest()}
    return json.dumps(head).encode() + b"\n" + raw


def test_texts_without_han_characters_need_no_pypinyin(fresh: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readings_cache, "pinyin_readings", _no_pypinyin)
    assert [r.contextual for r in readings_for(["QQ", "", "GPS"], fresh)] == [(), (), ()]


def test_an_unwritable_cache_folder_only_costs_pypinyin(tmp_path: Path, fresh: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert readings_for(["播放音乐"], blocked / "readings.json") == (pinyin_readings("播放音乐"),)


# ---- the pinyin→Hanzi converter, at its first use -----------------------------------------------
def test_the_converter_loads_once_at_its_first_use_from_any_thread() -> None:
    loads: list[int] = []
    gate = threading.Event()

    def load() -> Any:
        gate.wait(5)
        loads.append(1)
        return SimpleNamespace(convert=lambda tokens: tokens.upper())

    lazy = LazyConverter(load)  # type: ignore[arg-type]
    assert not lazy.loaded
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(lazy("n ǐ"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(5)
    assert loads == [1] and lazy.loaded
    assert results == ["N Ǐ"] * 8


def test_a_missing_lexicon_is_built_at_start_not_at_the_first_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import asr.hanzi

    monkeypatch.setattr(asr.hanzi, "lexicon_path", lambda: tmp_path / "lexicon.table")
    built: list[int] = []
    monkeypatch.setattr(asr.hanzi.HanziConverter, "load", staticmethod(
        lambda penalties=None: built.append(1) or SimpleNamespace(convert=str.upper)))
    assert lazy_to_hanzi()("a") == "A" and built == [1]  # no lexicon: built now
    (tmp_path / "lexicon.table").write_bytes(b"")
    convert = lazy_to_hanzi()
    assert isinstance(convert, LazyConverter) and built == [1]  # built: loaded at first use
    assert convert("b") == "B" and built == [1, 1]


# ---- the action modules, at their first use -----------------------------------------------------
@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"LINGYIN_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")
    return tmp_path


def test_deferred_action_modules_declare_their_real_tables(dirs: Path) -> None:
    actions = build_actions(AppSettings(), lambda: None, lists_dir=dirs / "lists")
    try:
        deferred = [m for m in actions.modules if isinstance(m, Deferred)]
        assert deferred and not any(m.loaded for m in deferred)
        for module in deferred:
            assert set(module.built().handlers()) == set(module.names), module.name
        declared = {n for m in deferred for n in m.names}
        assert declared - set(CUSTOM_ACTIONS) <= set(BUILT_IN_ACTIONS)
    finally:
        actions.close()


def test_a_deferred_module_is_built_by_its_first_action(dirs: Path) -> None:
    actions = build_actions(AppSettings(), lambda: None, lists_dir=dirs / "lists")
    try:
        clock = next(m for m in actions.modules
                     if isinstance(m, Deferred) and m.name == "ClockActions")
        assert not clock.loaded
        result = actions.handlers["time.now"](ActionRequest("time.now", "time", "now"))
        assert result.performed and "现在是" in str(result.reply) and clock.loaded
        from app.actions.clock import ClockActions

        assert isinstance(actions.module(ClockActions), ClockActions)
    finally:
        actions.close()


# ---- the command line: only the command asked for ------------------------------------------------
def test_only_the_command_asked_for_is_registered() -> None:
    assert command_of(["listen", "--mode", "wake"]) == "listen"
    assert command_of(["check-grammar"]) == "check_grammar"
    assert command_of(["check_grammar"]) is None  # a typo: every command, to list them
    assert command_of(["--help"]) is None and command_of([]) is None
    args = build_parser("spot").parse_args(["spot", "--keyword", "你好", "x.wav"])
    assert args.command == "spot" and args.keyword == ["你好"]


# ---- wake phrases in replies, without pypinyin ---------------------------------------------------
@pytest.mark.parametrize("reply, said", [("我是你好小玲的朋友", True), ("你好，小灵！", True),
                                         ("你好小", False), ("好的", False), ("", False)])
def test_a_reply_saying_the_wake_phrase_is_found(reply: str, said: bool) -> None:
    spotter = SimpleNamespace(keywords=[SimpleNamespace(phrase="你好小灵")])
    assert WakeWatcher(spotter).said_in(reply) is said  # type: ignore[arg-type]


# ---- the first run ------------------------------------------------------------------------------
def test_the_first_run_compiles_the_grammar_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 recognizer, to_hanzi) -> None:
    """The apps list is merged into the fresh user grammar before the grammar is loaded (it
    used to be rewritten just after, and the grammar loaded and compiled a second time)."""
    from app.assistant.live import build_live
    from app.listener.assemble import ListenerOptions
    from app.listener.sources import FileSource

    apps = tmp_path / "xdg" / "applications"
    apps.mkdir(parents=True)
    (apps / "lingyin-test-calculator.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Calculator\nName[zh_CN]=计算器\nExec=true\n"
        "Categories=Utility;Calculator;\n", encoding="utf-8")
    for name, value in {"LINGYIN_CONFIG_DIR": "config", "LINGYIN_DATA_DIR": "data",
                        "LINGYIN_CACHE_DIR": "cache", "XDG_DATA_HOME": "home"}.items():
        monkeypatch.setenv(name, str(tmp_path / value))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "xdg"))
    built: list[object] = []

    class Counted(intents.speech.SpeechUnderstander):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(args[1])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(intents.speech, "SpeechUnderstander", Counted)
    live = build_live(ListenerOptions(speak=False), lambda event: None, recognizer=recognizer,
                      to_hanzi=to_hanzi, source=FileSource("none", 512, fast=True,
                                                          samples=_silence()))
    try:
        live.listener.understanders.current()  # a changed list file would be reloaded here
        assert len(built) == 1
    finally:
        live.close()
    listed = (tmp_path / "config" / "grammar" / "lists" / "apps.txt").read_text(encoding="utf-8")
    assert "Calculator\t计算器" in listed


def _silence() -> Any:
    import numpy as np

    return np.zeros(1600, dtype=np.float32)


# ---- a warm `lingyin listen`, in a process of its own --------------------------------------------
READY_PROBE = r"""
import json, sys
import app.listener.runtime as runtime
from app.cli import main

def ready(listener):
    spoken = listener.watcher.said_in("我是你好小玲")  # a reply saying the wake phrase
    maps = open("/proc/self/maps", encoding="utf-8").read()
    print("READY " + json.dumps({"modules": sorted(sys.modules), "said": spoken,
                                 "lexicon": "hanzi-lexicon" in maps}), flush=True)

runtime.Listener.run = ready
sys.exit(main(["listen", "--mode", "wake", "--no-speak", "--json"]))
"""


def warm_env(tmp_path: Path) -> dict[str, str]:
    """A fresh home, config and data folder (the installed models linked in), the user's cache
    (the lexicon, compiled graphs and readings, warmed by the first of two runs)."""
    models = settings.models_dir()
    if not (models / settings.DEFAULT_MODEL).is_dir():
        pytest.fail(f"no model installed in {models}: run packaging/setup.sh", pytrace=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(models, target_is_directory=True)
    (tmp_path / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_DATA")}
    env.update(HOME=str(tmp_path / "home"), LINGYIN_CONFIG_DIR=str(tmp_path / "config"),
               LINGYIN_DATA_DIR=str(data), LINGYIN_CACHE_DIR=str(settings.cache_dir()),
               PYTHONUNBUFFERED="1")
    return env


def ready_report(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", READY_PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("READY ")), None)
    assert line is not None, f"never ready (exit {done.returncode}): {done.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(line[len("READY "):])
    return report


def test_a_warm_listen_imports_no_pypinyin_no_lexicon_and_no_unused_action(tmp_path: Path) -> None:
    env = warm_env(tmp_path)
    ready_report(env)  # the first run warms the caches (and may compile the grammar)
    report = ready_report(env)
    modules = set(report["modules"])
    assert report["said"] is True  # the wake phrase found in a reply …
    assert "pypinyin" not in modules  # … and no pypinyin, for it or for the start
    assert "kenlm" not in modules and not report["lexicon"]  # the converter: at its first use
    unused = {"app.actions.weather", "app.actions.home", "app.actions.custom", "app.actions.clock",
              "app.actions.calls", "app.actions.media", "app.actions.volume", "http.client",
              "ssl", "lunar_python", "asr.install", "app.commands.models",
              "app.commands.check_grammar", "app.commands.understand", "librosa", "PySide6"}
    assert sorted(unused & modules) == []
