"""Bad option values end in a usage message naming the option and exit code 2: no traceback
(--beam 0, --threads -1) and no hang (--threads 1000)."""

from __future__ import annotations

import pytest

from app.cli import build_parser, main
from app.commands.options import max_threads
from app.commands.spot import parse_keyword
from asr.errors import LingyinError

CLIP = "clip.wav"  # never opened: the arguments are refused first


@pytest.mark.parametrize(("argv", "message"), [
    (["transcribe", "--beam", "0", CLIP], "argument --beam: must be at least 1, got 0"),
    (["transcribe", "--beam", "two", CLIP], "argument --beam: 'two' is not a whole number"),
    (["transcribe", "--threads", "0", CLIP], "argument --threads: must be between 1 and"),
    (["transcribe", "--threads", "-1", CLIP], "argument --threads: must be between 1 and"),
    (["transcribe", "--threads", "1000", CLIP], "got 1000"),
    (["understand", "--beam", "0", CLIP], "argument --beam: must be at least 1, got 0"),
    (["understand", "--graph-beam", "0", CLIP], "argument --graph-beam: must be at least 1"),
    (["understand", "--graph-beam", "-3", CLIP], "argument --graph-beam: must be at least 1"),
    (["understand", "--threads", "0", CLIP], "argument --threads: must be between 1 and"),
    (["understand", "--threads", "1000", CLIP], "got 1000"),
    (["spot", "--keyword", "你好小灵", "--threads", "-1", CLIP], "argument --threads"),
    (["spot", "--keyword", "你好小灵", "--sensitivity", "1.5", CLIP],
     "argument --sensitivity: must be between 0 and 1, got 1.5"),
    (["spot", "--keyword", "你好小灵", "--sensitivity", "high", CLIP],
     "argument --sensitivity: 'high' is not a number"),
])
def test_bad_values_are_usage_errors(argv: list[str], message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert f"lingyin {argv[0]}: error:" in err
    assert "Traceback" not in err


def test_the_thread_limit_follows_the_machine(capsys: pytest.CaptureFixture[str]) -> None:
    limit = max_threads()
    assert 4 <= limit <= 64
    args = build_parser().parse_args(["transcribe", "--threads", str(limit), CLIP])
    assert args.threads == limit
    with pytest.raises(SystemExit):
        build_parser().parse_args(["transcribe", "--threads", str(limit + 1), CLIP])
    assert f"must be between 1 and {limit}" in capsys.readouterr().err


def test_good_values_pass(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["understand", "--beam", "1", "--graph-beam", "30", CLIP])
    assert (args.beam, args.graph_beam, args.threads) == (1, 30, 1)
    args = build_parser().parse_args(["spot", "--keyword", "你好", "--sensitivity", "0", CLIP])
    assert args.sensitivity == 0.0


@pytest.mark.parametrize("spec", ["你好小灵:2", "你好小灵:-0.1", "你好小灵:abc"])
def test_a_keyword_sensitivity_out_of_range_is_a_clear_error(spec: str) -> None:
    with pytest.raises(LingyinError, match=r"sensitivity after ':' must be a number between 0"):
        parse_keyword(spec, 0.5)
    assert parse_keyword("你好小灵:0.7", 0.5) == ("你好小灵", 0.7)
