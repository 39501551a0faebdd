"""`lingyin listen` and `lingyin devices` from the command line: the JSON event contract, Ctrl-C,
bad options; and overflow counting in the microphone source."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from listen_helpers import write_dev_grammar

from app.cli import main
from app.listener.sources import MicrophoneSource

KEYS = {"event", "t"}
# the understand contract, and since issue 10 its score, source and whether to confirm first
UNDERSTAND_FIELDS = {"text", "pinyin", "domain", "intent", "slots", "confidence", "rejected",
                     "score", "source", "confirm"}


@pytest.fixture(scope="module")
def grammar(tmp_path_factory: pytest.TempPathFactory, dev_texts: dict[str, str]) -> Path:
    # its own copy, not the session's dev_grammar: `lingyin listen` builds the whole assistant,
    # which writes the computer's apps into the grammar's lists folder (lists/apps.txt)
    return write_dev_grammar(tmp_path_factory.mktemp("grammar"), dev_texts)


def test_listen_json_contract(grammar: Path, clip, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["listen", "--input", str(clip("W0038")), "--fast", "--no-speak", "--json",
                 "--grammar", str(grammar)])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(set(line) >= KEYS for line in lines)
    assert lines[0] == {"event": "state", "t": 0.0, "state": "idle", "previous": None}
    intent = next(line for line in lines if line["event"] == "intent")
    assert set(intent) == KEYS | UNDERSTAND_FIELDS
    assert (intent["domain"], intent["intent"], intent["slots"]) == (
        "music", "play", {"song": "我的滑板鞋"})
    assert 0.0 < intent["t"] <= 6.0  # a position in the file, also under --fast
    partials = [line["text"] for line in lines if line["event"] == "partial"]
    assert partials and all(isinstance(p, str) and p for p in partials)
    order = [line["event"] for line in lines if line["event"] != "partial"]
    assert order[:4] == ["state", "state", "speech_start", "speech_end"]


def test_listen_readable_lines(grammar: Path, clip, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["listen", "--input", str(clip("W0001")), "--fast", "--no-speak",
                 "--grammar", str(grammar)]) == 0
    out = capsys.readouterr().out
    assert "intent climate.set_temperature {'temperature': 29}" in out


@pytest.mark.parametrize("args, message", [
    (["listen", "--fast"], "--fast needs --input"),
    (["listen", "--mode", "wake", "--wake", "你好小灵:2"], "between 0 and 1"),
    (["listen", "--vad-aggressiveness", "7"], "0, 1, 2 or 3"),
    (["listen", "--follow-up", "-1"], "between 0 and 3600"),
    (["listen", "--command-timeout", "-1"], "between 0 and 3600"),
])
def test_bad_options(args: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        code = main(args)
    except SystemExit as exit_info:  # argparse's usage errors
        code, text = exit_info.code, str(exit_info)
    else:
        text = ""
    captured = capsys.readouterr()
    assert code not in (0, None)
    assert message in captured.err + text


def test_missing_input_file_is_named(grammar: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nothing.wav"
    assert main(["listen", "--input", str(missing), "--no-speak", "--json",
                 "--grammar", str(grammar)]) == 2
    assert f"{missing}: no such audio file" in capsys.readouterr().err


def test_ctrl_c_ends_cleanly(grammar: Path, clip) -> None:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "app.cli", "listen", "--input", str(clip("W0121")),
               "--no-speak", "--json", "--grammar", str(grammar)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=Path(__file__).resolve().parent.parent, env=os.environ.copy())
    assert process.stdout is not None
    first = process.stdout.readline()  # the listener is running (the file plays in real time)
    assert json.loads(first)["event"] == "state"
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert b"Traceback" not in err


def test_overflows_are_counted_not_hidden() -> None:
    source = MicrophoneSource(queue_blocks=3)
    block = np.zeros((512, 1), dtype=np.float32)
    for _ in range(5):
        source._callback(block, 512, None, None)

    class Status:
        input_overflow = True

    source._callback(block, 512, None, Status())
    # two blocks that did not fit, then PortAudio's own overflow and that block not fitting either
    assert source.take_overflows() == 4
    assert source.take_overflows() == 0


def test_a_fast_replay_is_the_same_however_busy_the_assistant(  # type: ignore[no-untyped-def]
        grammar: Path, recognizer, clip, tmp_path: Path, monkeypatch, capsys) -> None:
    """`lingyin listen --mode wake --input FILE --fast`: the same lines every run, with the
    assistant answering at once or taking 0.4 s a turn (a busy machine). Before, what the file
    held while a turn was decided was skipped: 1 of 4 commands with the slow assistant."""
    import soundfile
    from listen_helpers import dev_wake_phrase, silence

    from app.assistant.assistant import Assistant
    from asr import settings
    from asr.audio import load_audio

    model = settings.model_dir()
    monkeypatch.setenv("LINGYIN_DATA_DIR", str(tmp_path / "data"))  # no timers of the user's
    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    wake = dev_wake_phrase(recognizer, clip("W0038"))
    parts = [silence(0.5)]
    for utt in ("W0001", "W0005", "W0083", "W0001"):
        parts += [wake, silence(0.1), load_audio(clip(utt)), silence(0.2)]
    path = tmp_path / "session.wav"
    soundfile.write(path, np.concatenate([*parts, silence(2.0)]), 16000)
    argv = ["listen", "--mode", "wake", "--wake", "想听歌曲", "--input", str(path), "--fast",
            "--no-speak", "--json", "--grammar", str(grammar), "--model-dir", str(model)]
    turn = Assistant.speech_turn

    def busy(self: Assistant, understanding: object) -> object:
        time.sleep(0.4)
        return turn(self, understanding)

    outputs = []
    for slow in (False, True, True):
        if slow:
            monkeypatch.setattr(Assistant, "speech_turn", busy)
        assert main(argv) == 0
        outputs.append(capsys.readouterr().out.splitlines())
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]
    intents = [json.loads(line) for line in outputs[0] if '"event": "intent"' in line]
    assert len(intents) == 4
