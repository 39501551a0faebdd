"""The speaker: Mandarin rendering, and playback through real PortAudio into a PulseAudio null
sink whose monitor is recorded (start before end, end after the last sample, stop, no device)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pulse import RATE, NullSpeaker, Recording, rms_envelope

from app.listener import tts
from app.listener.speaker import Speaker, SpeakerSettings, chime_samples
from app.listener.tts import RenderOptions, VoiceInfo, choose_voice

SHORT = "好的，已经打开计算器"
LONG = ("今天北京晴转多云，最高气温二十八度，最低气温十六度，东南风三级。明天有小雨，"
        "出门请记得带伞。后天天气转晴，适合户外活动。")
QUIET = 0.003  # RMS of a 50 ms window below which the monitor counts as silent
LOUD = 0.01


class Events:
    """What the speaker reported, with the monotonic time and the recording position."""

    def __init__(self, recording: Recording | None = None) -> None:
        self.recording = recording
        self.items: list[tuple[str, tuple[object, ...], float, float]] = []
        self._changed = threading.Condition()

    def _add(self, kind: str, *args: object) -> None:
        position = self.recording.seconds if self.recording is not None else 0.0
        with self._changed:
            self.items.append((kind, args, time.monotonic(), position))
            self._changed.notify_all()

    def on_start(self, reply_id: int, seconds: float) -> None:
        self._add("start", reply_id, seconds)

    def on_end(self, reply_id: int, interrupted: bool) -> None:
        self._add("end", reply_id, interrupted)

    def on_error(self, message: str) -> None:
        self._add("error", message)

    def speaker(self, **settings: object) -> Speaker:
        options = {"device": "pulse", **settings}
        return Speaker(SpeakerSettings(**options),  # type: ignore[arg-type]
                       on_start=self.on_start, on_end=self.on_end, on_error=self.on_error)

    def kinds(self) -> list[tuple[str, tuple[object, ...]]]:
        with self._changed:
            return [(kind, args) for kind, args, _, _ in self.items]

    def wait_for(self, kind: str, reply_id: int, timeout: float) -> tuple[float, float]:
        """(monotonic time, recording position) of the event; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for item_kind, args, at, position in self.items:
                    if item_kind == kind and args[0] == reply_id:
                        return at, position
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {kind} event for reply {reply_id} within {timeout} s: "
                                f"{self.items}")
                self._changed.wait(left)


@pytest.fixture
def monitor(null_speaker: NullSpeaker) -> Iterator[Recording]:
    """Records what is played to the null sink (its monitor is the default source)."""
    null_speaker.use_monitor_as_mic()
    with Recording("pulse", RATE) as recording:
        recording.wait_for(0.2, timeout=5)
        yield recording


def loud_seconds(samples: np.ndarray, rate: int = RATE) -> float:
    return float((rms_envelope(samples, rate) > LOUD).sum() * 0.05)


def test_renders_a_mandarin_sentence() -> None:
    samples, rate = Speaker().render(SHORT)
    seconds = len(samples) / rate
    assert rate == 22050
    assert 1.0 < seconds < 6.0, f"{len(SHORT)} characters rendered as {seconds:.2f} s"
    assert samples.dtype == np.float32
    assert float(np.sqrt(np.mean(samples**2))) > 0.02
    assert loud_seconds(samples, rate) > 0.5 * seconds


def test_espeak_ng_fallback_when_pyttsx3_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stuck:
        def render(self, request: object, timeout: float) -> bool:
            return False

    monkeypatch.setattr(tts, "_engine_thread", lambda: Stuck())
    samples, rate = tts.render(SHORT, RenderOptions(), timeout=10)
    assert rate == 22050 and len(samples) / rate > 1.0
    assert float(np.abs(samples).max()) > 0.1


def test_espeak_command_is_an_argument_list(tmp_path: Path) -> None:
    text = "-v en; rm -rf / $(reboot)"
    command = tts.espeak_command(text, tmp_path / "x.wav", RenderOptions(voice="sit/cmn"))
    assert command[-2:] == ["--", text]
    assert command[command.index("-v") + 1] == "cmn-latn-pinyin"  # the broken voice is avoided


def test_chooses_a_mandarin_voice_on_every_platform() -> None:
    espeak = [VoiceInfo("gmw/en", "English", ("en",)),
              VoiceInfo("sit/cmn", "Chinese_(Mandarin)", ("cmn",)),
              VoiceInfo("sit/cmn-latn-pinyin", "Chinese_(Mandarin,_latin_as_Pinyin)",
                        ("cmn-latn-pinyin",)),
              VoiceInfo("sit/yue", "Chinese_(Cantonese)", ("yue",))]
    assert choose_voice(espeak) == "sit/cmn-latn-pinyin"
    tokens = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Speech\\Voices\\Tokens\\"
    sapi = [VoiceInfo(tokens + "TTS_MS_EN-US_ZIRA_11.0",
                      "Microsoft Zira Desktop - English (United States)"),
            VoiceInfo(tokens + "TTS_MS_ZH-CN_HUIHUI_11.0",
                      "Microsoft Huihui Desktop - Chinese (Simplified)")]
    assert choose_voice(sapi) == sapi[1].id
    nsss = [VoiceInfo("com.apple.voice.compact.en-US.Samantha", "Samantha", ("en_US",)),
            VoiceInfo("com.apple.voice.compact.zh-HK.Sinji", "Sinji", ("zh_HK",)),
            VoiceInfo("com.apple.voice.compact.zh-CN.Tingting", "Tingting", ("zh_CN",))]
    assert choose_voice(nsss) == "com.apple.voice.compact.zh-CN.Tingting"
    assert choose_voice([VoiceInfo("gmw/en", "English", ("en",))]) is None


def test_settings_are_validated() -> None:
    for bad in ({"volume": 1.5}, {"rate": 0}, {"latency": 0.0}, {"render_timeout": -1.0}):
        with pytest.raises(ValueError):
            SpeakerSettings(**bad)  # type: ignore[arg-type]


def test_chime_is_short_and_soft() -> None:
    samples = chime_samples()
    assert 0.12 < len(samples) / 22050 < 0.2
    assert 0.1 < float(np.abs(samples).max()) <= 0.3


def test_a_reply_is_heard_on_the_speaker_monitor(monitor: Recording) -> None:
    events = Events(monitor)
    speaker = events.speaker(latency=0.3)  # a long latency makes an early "end" obvious
    try:
        reply = speaker.speak(SHORT)
        started, start_position = events.wait_for("start", reply, timeout=15)
        ended, end_position = events.wait_for("end", reply, timeout=15)
        monitor.wait_for(monitor.seconds + 0.5, timeout=5)
    finally:
        speaker.close()
    seconds = next(args[1] for kind, args in events.kinds() if kind == "start")
    assert isinstance(seconds, float)
    assert events.kinds()[-1] == ("end", (reply, False))
    assert not [item for item in events.kinds() if item[0] == "error"]
    # "ended" means the last sample was played, not just handed to PortAudio (~latency earlier)
    assert seconds - 0.05 < ended - started < seconds + 0.6
    heard = monitor.samples()
    assert 0.6 * seconds < loud_seconds(heard) < seconds + 0.2
    after = heard[int((end_position + 0.25) * RATE) :]
    assert len(after) > 0.2 * RATE
    assert rms_envelope(after).max() < QUIET, "the monitor was not quiet after on_end"
    before = heard[: int(start_position * RATE)]
    assert rms_envelope(before).max() < QUIET, "sound before on_start"


def test_stop_cuts_a_long_reply_short(monitor: Recording) -> None:
    events = Events(monitor)
    speaker = events.speaker()
    try:
        reply = speaker.speak(LONG)
        events.wait_for("start", reply, timeout=15)
        time.sleep(1.0)  # let it talk for a second
        stopped = time.monotonic()
        speaker.stop()
        ended, end_position = events.wait_for("end", reply, timeout=5)
        monitor.wait_for(end_position + 1.0, timeout=5)
    finally:
        speaker.close()
    seconds = next(args[1] for kind, args in events.kinds() if kind == "start")
    assert isinstance(seconds, float) and seconds > 6.0
    assert ("end", (reply, True)) in events.kinds()
    assert ended - stopped < 0.5, f"on_end came {ended - stopped:.2f} s after stop()"
    heard = monitor.samples()
    assert loud_seconds(heard) < 2.0
    assert rms_envelope(heard[int((end_position + 0.25) * RATE) :]).max() < QUIET


def test_replies_queue_in_order_or_interrupt(monitor: Recording) -> None:
    events = Events(monitor)
    speaker = events.speaker()
    try:
        first, second = speaker.speak("第一句"), speaker.speak("第二句")
        assert speaker.wait(second, timeout=20)
        assert [(kind, args[0]) for kind, args in events.kinds()] == [
            ("start", first), ("end", first), ("start", second), ("end", second)]
        assert [args[1] for kind, args in events.kinds() if kind == "end"] == [False, False]
    finally:
        speaker.close()
    events = Events(monitor)
    speaker = events.speaker(interrupt=True)
    try:
        first = speaker.speak(LONG)
        events.wait_for("start", first, timeout=15)
        second = speaker.speak("好的")
        assert speaker.wait(second, timeout=15)
        assert ("end", (first, True)) in events.kinds()
        assert ("end", (second, False)) in events.kinds()
    finally:
        speaker.close()


def test_chime_and_disabled_speech(monitor: Recording) -> None:
    events = Events(monitor)
    speaker = events.speaker(enabled=False)
    try:
        reply = speaker.speak(SHORT)
        assert speaker.wait(reply, timeout=5)
        assert events.kinds() == [("start", (reply, 0.0)), ("end", (reply, False))]
        assert loud_seconds(monitor.samples()) == 0.0
    finally:
        speaker.close()
    speaker = events.speaker()
    try:
        before = len(events.kinds())
        position = monitor.seconds
        speaker.chime()
        assert speaker.wait_idle(timeout=5)
        monitor.wait_for(monitor.seconds + 0.3, timeout=5)
    finally:
        speaker.close()
    assert len(events.kinds()) == before  # the chime reports no start or end
    assert 0.05 <= loud_seconds(monitor.samples()[int(position * RATE) :]) <= 0.25


def test_missing_output_device_reports_and_still_ends() -> None:
    events = Events()
    speaker = events.speaker(device="no-such-speaker-42")
    try:
        started = time.monotonic()
        assert speaker.say_and_wait(SHORT, timeout=15)
        assert time.monotonic() - started < 15
    finally:
        speaker.close()
    kinds = events.kinds()
    assert kinds[-1][0] == "end" and kinds[-1][1][1] is True
    errors = [str(args[0]) for kind, args in kinds if kind == "error"]
    assert len(errors) == 1 and "no-such-speaker-42" in errors[0]
    assert "output device" in errors[0] and "text" in errors[0]
    assert not [kind for kind, _ in kinds if kind == "start"]
    samples, _ = speaker.render(SHORT)  # rendering still works without a device
    assert samples.size > 0


def test_no_output_device_at_all_reports_and_still_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice

    def no_device(*args: object, **kwargs: object) -> None:  # what PortAudio says with no devices
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "OutputStream", no_device)
    events = Events()
    speaker = Speaker(on_start=events.on_start, on_end=events.on_end, on_error=events.on_error)
    try:
        assert speaker.say_and_wait(SHORT, timeout=15)
    finally:
        speaker.close()
    kinds = events.kinds()
    assert [kind for kind, _ in kinds] == ["error", "end"]
    assert "the default output device" in str(kinds[0][1][0])
    assert kinds[1][1][1] is True


def test_a_speaker_that_vanishes_mid_reply(null_speaker: NullSpeaker) -> None:
    events = Events()
    speaker = events.speaker()
    try:
        reply = speaker.speak(LONG)
        events.wait_for("start", reply, timeout=15)
        time.sleep(0.5)
        vanished = time.monotonic()
        null_speaker.close()  # the sink is unloaded, as when headphones are unplugged
        ended, _ = events.wait_for("end", reply, timeout=5)
    finally:
        speaker.close()
    assert ended - vanished < 2.0
    kinds = events.kinds()
    assert ("end", (reply, True)) in kinds
    errors = [str(args[0]) for kind, args in kinds if kind == "error"]
    assert len(errors) == 1 and "'pulse'" in errors[0] and "stopped" in errors[0]
