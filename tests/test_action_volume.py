"""Volume actions against a real PulseAudio null sink on a private server (tests/pulse.py): each
action must really change the default sink, as ``pactl get-sink-volume`` reads it back."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from pulse import NullSpeaker, PulseServer

from app.actions._platform import RunResult
from app.actions.base import ActionRequest, ActionResult
from app.actions.volume import VolumeActions, requested_percent
from app.actions.volume_backends import (
    Level,
    MacBackend,
    PulseBackend,
    UnsupportedBackend,
    WindowsBackend,
    default_backend,
)
from app.config import AppSettings
from intents.grammar import load_grammar
from intents.matcher import Matcher

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"


def request(action: str, slots: Mapping[str, object] | None = None, dry_run: bool = False,
            context: Mapping[str, object] | None = None) -> ActionRequest:
    return ActionRequest(action, "volume", action.split(".")[1], slots or {}, dry_run=dry_run,
                         context=context or {})


def act(actions: VolumeActions, action: str, **kwargs: object) -> ActionResult:
    return actions.handlers()[action](request(action, **kwargs))  # type: ignore[arg-type]


def muted(server: PulseServer, sink: str = "speaker") -> bool:
    return server.pactl("get-sink-mute", sink).strip().endswith("yes")


@pytest.fixture
def volume(null_speaker: NullSpeaker) -> VolumeActions:
    """Actions with the default backend: libpulse finds the private server via PULSE_SERVER."""
    null_speaker.set_volume(50)
    return VolumeActions.from_settings(AppSettings(volume_step=10))


def test_every_volume_action_of_the_default_grammar_has_a_handler() -> None:
    names = {i.action for i in load_grammar(GRAMMAR).intents if i.domain == "volume"}
    assert names == set(VolumeActions(UnsupportedBackend("x")).handlers())


def test_the_default_backend_honours_pulse_server(null_speaker: NullSpeaker) -> None:
    assert isinstance(default_backend("linux"), PulseBackend)
    null_speaker.set_volume(23)
    assert PulseBackend().read() == Level(23, False)


def test_set_changes_the_default_sink(volume: VolumeActions, null_speaker: NullSpeaker) -> None:
    result = act(volume, "volume.set", slots={"volume": 40})
    assert result.performed and result.error is None
    assert result.reply == "音量已调到40%"
    assert null_speaker.volume() == 40
    assert result.context == {"level": 40, "muted": False}
    assert result.values["level"] == 40


def test_up_and_follow_ups_step_from_the_real_level(volume: VolumeActions,
                                                    null_speaker: NullSpeaker) -> None:
    first = act(volume, "volume.up")
    assert (first.reply, null_speaker.volume()) == ("音量已调到60%", 60)
    again = act(volume, "volume.up", context=first.context)  # 再大一点
    assert (again.reply, null_speaker.volume()) == ("音量已调到70%", 70)
    null_speaker.set_volume(20)  # moved by hand in between: the real level counts
    third = act(volume, "volume.up", context=again.context)
    assert (third.reply, null_speaker.volume()) == ("音量已调到30%", 30)


def test_down_and_a_custom_step(null_speaker: NullSpeaker) -> None:
    null_speaker.set_volume(50)
    actions = VolumeActions(PulseBackend(), step=5)
    assert act(actions, "volume.down").reply == "音量已调到45%"
    assert null_speaker.volume() == 45


def test_up_stops_at_100_and_down_at_0(volume: VolumeActions, null_speaker: NullSpeaker) -> None:
    null_speaker.set_volume(95)
    assert act(volume, "volume.up").reply == "音量已调到100%"
    assert null_speaker.volume() == 100
    assert act(volume, "volume.up").reply == "音量已经是最大了（100%）"
    assert null_speaker.volume() == 100
    null_speaker.set_volume(4)
    assert act(volume, "volume.down").reply == "音量已调到0%"
    assert null_speaker.volume() == 0
    result = act(volume, "volume.down")
    assert result.performed and result.reply == "音量已经是最小了（0%）"


@pytest.mark.parametrize(("wanted", "level", "reply"), [
    (150, 100, "音量最高是100%，音量已调到100%"),
    (-5, 0, "音量最低是0%，音量已调到0%"),
    ("65%", 65, "音量已调到65%"),
    (33.4, 33, "音量已调到33%"),
])
def test_set_clamps_and_says_so(volume: VolumeActions, null_speaker: NullSpeaker, wanted: object,
                                level: int, reply: str) -> None:
    result = act(volume, "volume.set", slots={"volume": wanted})
    assert (result.reply, null_speaker.volume()) == (reply, level)


def test_set_without_a_number_asks(volume: VolumeActions, null_speaker: NullSpeaker) -> None:
    result = act(volume, "volume.set", slots={"volume": "很多"})
    assert not result.performed and "百分比" in (result.reply or "")
    assert null_speaker.volume() == 50


def test_mute_and_unmute(volume: VolumeActions, pulse_server: PulseServer,
                         null_speaker: NullSpeaker) -> None:
    assert act(volume, "volume.mute").reply == "已静音"
    assert muted(pulse_server)
    assert act(volume, "volume.mute").reply == "已经是静音了"
    result = act(volume, "volume.unmute")
    assert result.reply == "已取消静音，音量50%"
    assert not muted(pulse_server)
    assert act(volume, "volume.unmute").reply == "没有静音，音量50%"
    assert null_speaker.volume() == 50


def test_louder_lifts_a_mute_quieter_keeps_it(volume: VolumeActions,
                                              pulse_server: PulseServer) -> None:
    act(volume, "volume.mute")
    assert act(volume, "volume.down").reply == "音量已调到40%（仍是静音）"
    assert muted(pulse_server)
    assert act(volume, "volume.set", slots={"volume": 30}).reply == "已取消静音，音量已调到30%"
    assert not muted(pulse_server)


def test_max_and_min(volume: VolumeActions, null_speaker: NullSpeaker) -> None:
    assert act(volume, "volume.max").reply == "音量已调到最大（100%）"
    assert null_speaker.volume() == 100
    assert act(volume, "volume.min").reply == "音量已调到最小（0%）"
    assert null_speaker.volume() == 0


def test_only_the_default_sink_changes(volume: VolumeActions, pulse_server: PulseServer,
                                       null_speaker: NullSpeaker) -> None:
    with NullSpeaker(pulse_server, name="other") as other:  # loading it makes it the default
        other.set_volume(70)
        pulse_server.set_default_sink(null_speaker.name)
        act(volume, "volume.set", slots={"volume": 15})
        assert (null_speaker.volume(), other.volume()) == (15, 70)
        pulse_server.set_default_sink(other.name)
        act(volume, "volume.set", slots={"volume": 85})
        assert (null_speaker.volume(), other.volume()) == (15, 85)
        pulse_server.set_default_sink(null_speaker.name)


def test_dry_run_describes_and_changes_nothing(volume: VolumeActions, pulse_server: PulseServer,
                                               null_speaker: NullSpeaker) -> None:
    for action, kwargs in [("volume.set", {"slots": {"volume": 90}}), ("volume.mute", {}),
                           ("volume.up", {"context": {"level": 50}}), ("volume.max", {})]:
        result = act(volume, action, dry_run=True, **kwargs)
        assert not result.performed and result.description
        assert (result.reply or "").startswith("（演练）")
    assert act(volume, "volume.up", dry_run=True, context={"level": 50}).description == \
        "把音量从50%调高到60%"
    assert null_speaker.volume() == 50 and not muted(pulse_server)


def test_no_sound_server_is_told_truthfully(tmp_path: Path) -> None:
    actions = VolumeActions(PulseBackend(server=f"unix:{tmp_path}/nothing", timeout=2))
    for action in VolumeActions(UnsupportedBackend("x")).handlers():
        result = act(actions, action, slots={"volume": 30})
        assert not result.performed
        assert result.reply == "找不到音频输出设备：连不上声音服务（PulseAudio/PipeWire）"
        assert result.error and "nothing" in result.error


def test_a_server_without_sinks_has_no_output_device(pulse_server: PulseServer) -> None:
    assert not pulse_server.names("sinks")
    result = act(VolumeActions(PulseBackend()), "volume.up")
    assert not result.performed
    assert result.reply == "找不到音频输出设备：没有默认的输出设备"


def test_spoken_text_to_the_sink(volume: VolumeActions, null_speaker: NullSpeaker,
                                 default_matcher: Matcher) -> None:
    matcher = default_matcher  # the default grammar's (tests/conftest.py)
    for text, level in [("音量调到百分之三十", 30), ("声音大一点", 40), ("把音量调到最大", 100),
                        ("小声点", 90)]:
        match = matcher.match(text)
        assert match is not None and match.domain == "volume", text
        action = f"volume.{match.intent}"
        result = volume.handlers()[action](
            ActionRequest(action, match.domain, match.intent, dict(match.slots), text=text))
        assert result.performed, result
        assert null_speaker.volume() == level, text


# -- the other platforms' backends, through what can be checked here -----------------------
class FakeOsascript:
    def __init__(self, answer: str = "40,false", code: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.answer, self.code = answer, code

    def __call__(self, argv: Sequence[str]) -> RunResult:
        self.calls.append(list(argv))
        return RunResult(self.code, output=self.answer + "\n", error="boom" if self.code else "")


def test_macos_backend_runs_osascript_argument_lists() -> None:
    runner = FakeOsascript()
    actions = VolumeActions(MacBackend(runner))
    result = act(actions, "volume.set", slots={"volume": 30})
    assert result.performed and result.reply == "音量已调到40%"  # what the (fake) system reports
    assert ["osascript", "-e", "set volume output volume 30"] in runner.calls
    act(actions, "volume.mute")
    assert ["osascript", "-e", "set volume with output muted"] in runner.calls
    assert all(call[0] == "osascript" and call[1] == "-e" for call in runner.calls)


@pytest.mark.parametrize(("answer", "code"), [("missing value,missing value", 0), ("", 1)])
def test_macos_backend_without_an_output(answer: str, code: int) -> None:
    result = act(VolumeActions(MacBackend(FakeOsascript(answer, code))), "volume.up")
    assert not result.performed and (result.reply or "").startswith("找不到音频输出设备：")


def test_windows_backend_without_pycaw_fails_politely() -> None:
    assert isinstance(default_backend("win32"), WindowsBackend)
    result = act(VolumeActions(WindowsBackend()), "volume.max")  # no pycaw/comtypes here
    assert not result.performed and result.reply == "找不到音频输出设备：没有可用的声音程序库"


def test_unknown_platform() -> None:
    result = act(VolumeActions(default_backend("sunos5")), "volume.down")
    assert not result.performed and "不支持" in (result.reply or "")


@pytest.mark.parametrize(("value", "percent"), [(30, 30), (30.6, 31), ("30", 30), (" 30 % ", 30),
                                                (None, None), (True, None), ("大", None),
                                                ("inf", None), (float("nan"), None)])
def test_requested_percent(value: object, percent: int | None) -> None:
    assert requested_percent(value) == percent


def test_step_is_checked() -> None:
    with pytest.raises(ValueError):
        VolumeActions(UnsupportedBackend("x"), step=0)
    broken = AppSettings(volume_step=0)  # a hand-edited settings file: the default step instead
    assert VolumeActions.from_settings(broken, UnsupportedBackend("x")).step == 10


def test_each_action_answers_quickly(volume: VolumeActions) -> None:
    """pulsectl's connect(timeout=…) used to wait out the whole timeout on success."""
    start = time.monotonic()
    act(volume, "volume.up")
    assert time.monotonic() - start < 1.5
