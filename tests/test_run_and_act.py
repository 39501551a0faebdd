"""Acting on commands: `lingyin run` (typed turns, the JSON contract, dry runs, a grammar action
without a handler) and spoken commands through the listener with the assistant behind it, acting
on a fake Home Assistant on 127.0.0.1, with the reply's spoken form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from fake_home_assistant import TOKEN, FakeHomeAssistant
from listen_helpers import silence

from app.assistant.live import build_live
from app.cli import main
from app.config import AppSettings
from app.listener.assemble import ListenerOptions
from app.listener.events import ListenerEvent
from app.listener.machine import MachineConfig
from app.listener.sources import FileSource
from asr.audio import load_audio
from intents.store import bundled_grammar_dir

KEYS = {"text", "domain", "intent", "slots", "action", "performed", "reply", "expect_reply"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHomeAssistant]:
    """A fake Home Assistant, and user settings (in a private config dir) pointing at it."""
    fake = FakeHomeAssistant()
    config, data = tmp_path / "config", tmp_path / "data"
    config.mkdir()
    settings = AppSettings(home_assistant_url=fake.url, home_assistant_token=TOKEN)
    (config / "settings.json").write_text(json.dumps(asdict(settings)), encoding="utf-8")
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(config))
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(data))
    monkeypatch.setenv("LINGYIN_WEATHER_URL", "http://127.0.0.1:9/forecast")  # nothing there
    yield fake
    fake.close()


def run_turns(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["run", "--json", "--grammar", str(bundled_grammar_dir()), *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_run_json_contract_and_a_conversation(home: FakeHomeAssistant, capsys) -> None:  # type: ignore[no-untyped-def]
    turns = run_turns(capsys, "把客厅空调调到二十六度", "今天股市怎么样", "关机", "不")
    assert all(set(t) == KEYS for t in turns)
    first = turns[0]
    assert (first["domain"], first["intent"], first["action"]) == (
        "home", "set_temperature", "home.set_temperature")
    assert first["performed"] is True and first["expect_reply"] is False
    assert home.attribute("climate.living_room", "temperature") == 26
    assert turns[1]["performed"] is False and turns[1]["reply"] == "抱歉，我没听懂"
    assert turns[2]["expect_reply"] is True and turns[2]["performed"] is False
    assert turns[3]["reply"] == "好的，已取消"


def test_dry_run_does_nothing(home: FakeHomeAssistant, capsys) -> None:  # type: ignore[no-untyped-def]
    before = home.attribute("climate.living_room", "temperature")
    turns = run_turns(capsys, "--dry-run", "把客厅空调调到二十度")
    assert turns[0]["performed"] is False and turns[0]["action"] == "home.set_temperature"
    assert "演练" in str(turns[0]["reply"])
    assert home.attribute("climate.living_room", "temperature") == before
    assert [c for c in home.calls if c[0] == "climate"] == []


def test_an_action_without_handler_is_a_located_grammar_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    grammar = tmp_path / "grammar.yaml"
    grammar.write_text("language: zh-CN\nintents:\n  - domain: x\n    intent: y\n"
                       "    sentences: [开灯]\n    action: lights.on\n", encoding="utf-8")
    assert main(["run", "--grammar", str(grammar), "开灯"]) == 2
    err = capsys.readouterr().err
    assert f"{grammar}:3:" in err and "lights.on" in err  # the intent that names it


def test_a_spoken_command_is_acted_on_and_answered(home: FakeHomeAssistant, recognizer,  # type: ignore[no-untyped-def]
                                                   to_hanzi, clip) -> None:
    home.states["climate.living_room"]["attributes"]["temperature"] = 24
    events: list[ListenerEvent] = []
    audio = np.concatenate([load_audio(clip("W0005")), silence(1.0)])  # 调高温度
    options = ListenerOptions(machine=MachineConfig(hold=True), speak=False,
                              grammar=bundled_grammar_dir())
    live = build_live(options, events.append, recognizer=recognizer, to_hanzi=to_hanzi,
                      source=FileSource("test", 512, fast=True, samples=audio))
    try:
        live.listener.press()
        live.listener.run()
    finally:
        live.close()
    intents = [e.data["intent"] for e in events if e.kind == "intent"]
    replies = [str(e.data["text"]) for e in events if e.kind == "reply"]
    assert intents == ["temperature_up"], events
    assert home.attribute("climate.living_room", "temperature") == 25
    assert replies and "25" in replies[0]
