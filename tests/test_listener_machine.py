"""The listener's mode machine, driven by scripted (event, t) sequences."""

from __future__ import annotations

from app.listener import machine as m
from app.listener.machine import ListenerMachine, MachineConfig, Mode, State


def drive(machine: ListenerMachine, script: list[tuple[m.Event, float]]) -> list[m.Effect]:
    out: list[m.Effect] = []
    for event, t in script:
        out.extend(machine.handle(event, t))
    return out


def states(effects: list[m.Effect]) -> list[str]:
    return [e.new.value for e in effects if isinstance(e, m.StateChanged)]


def test_push_to_talk_hold_round_trip() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.PTT, hold=True))
    assert machine.state is State.IDLE
    effects = drive(machine, [(m.PttDown(), 1.0), (m.PttUp(), 2.5),
                              (m.CaptureEnded(heard=True), 2.6), (m.Decided("好的"), 2.7),
                              (m.ReplyEnded(), 3.5)])
    assert states(effects) == ["capture", "deciding", "speaking", "idle"]
    assert m.Arm(1.0, 5.0) in effects
    assert m.EndCapture("released") in effects
    assert m.Speak("好的") in effects
    assert all(e.t >= 1.0 for e in effects if isinstance(e, m.StateChanged))


def test_toggle_mode_second_press_ends() -> None:
    machine = ListenerMachine(MachineConfig(hold=False))
    effects = drive(machine, [(m.PttDown(), 0.0), (m.PttUp(), 0.1), (m.PttDown(), 2.0)])
    assert m.EndCapture("pressed again") in effects
    assert not any(isinstance(e, m.EndCapture) and e.reason == "released" for e in effects)


def test_wake_word_arms_at_the_phrase_end_and_chimes() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE, chime=True))
    assert machine.state is State.WAKE_LISTEN and machine.spotting
    effects = drive(machine, [(m.WakeWord(end=4.2), 4.9)])
    assert effects[0] == m.Chime()
    assert m.Arm(4.2, 5.0, woken=True) in effects  # audio after the phrase is the command
    assert machine.capturing and machine.spotting  # the phrase said again is a new wake


def test_nothing_said_returns_to_rest() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    effects = drive(machine, [(m.WakeWord(1.0), 1.2), (m.CaptureEnded(heard=False), 6.2)])
    assert states(effects) == ["capture", "wake_listen"]


def test_question_opens_a_follow_up_window_without_wake_word() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE, answer_window=6.0))
    effects = drive(machine, [(m.WakeWord(1.0), 1.2), (m.CaptureEnded(True), 3.0),
                              (m.Decided("打给谁？", expects_answer=True), 3.1),
                              (m.ReplyEnded(), 4.0)])
    assert states(effects)[-1] == "follow_up"
    assert m.Arm(4.0, 6.0) in effects
    assert machine.state is State.FOLLOW_UP  # the answer needs no wake word …
    assert machine.spotting  # … and a wake phrase said there is a wake, not an answer


def test_follow_up_after_every_reply_when_configured() -> None:
    machine = ListenerMachine(MachineConfig(follow_up=4.0))
    effects = drive(machine, [(m.PttDown(), 0), (m.CaptureEnded(True), 1),
                              (m.Decided("好的"), 1), (m.ReplyEnded(), 2),
                              (m.CaptureEnded(False), 6)])
    assert states(effects)[-2:] == ["follow_up", "idle"]


def test_no_speaker_skips_speaking() -> None:
    machine = ListenerMachine(MachineConfig(speak=False))
    effects = drive(machine, [(m.PttDown(), 0), (m.CaptureEnded(True), 1), (m.Decided("好"), 1)])
    assert states(effects) == ["capture", "deciding", "idle"]
    assert not any(isinstance(e, m.Speak) for e in effects)


def test_barge_in_stops_the_reply_and_listens() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    drive(machine, [(m.WakeWord(1.0), 1.1), (m.CaptureEnded(True), 2),
                    (m.Decided("很长的回答"), 2)])
    assert machine.state is State.SPEAKING and machine.spotting
    effects = machine.handle(m.WakeWord(end=5.0), 5.6)
    assert effects[0] == m.StopSpeaking()
    assert m.Arm(5.0, 5.0, woken=True) in effects and machine.state is State.CAPTURE


def test_mute_closes_the_microphone_from_any_state() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    drive(machine, [(m.WakeWord(1.0), 1.1)])
    effects = machine.handle(m.Mute(True), 2.0)
    assert m.CancelCapture() in effects and m.MicOpen(False) in effects
    assert machine.state is State.MUTED and not machine.spotting
    assert machine.handle(m.WakeWord(3.0), 3.1) == []  # ignored while muted
    effects = machine.handle(m.Mute(False), 4.0)
    assert m.MicOpen(True) in effects and machine.state is State.WAKE_LISTEN


def test_device_lost_and_back() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.PTT))
    drive(machine, [(m.PttDown(), 0.0)])
    effects = machine.handle(m.DeviceLost(), 1.0)
    assert m.CancelCapture() in effects and machine.state is State.DEVICE_LOST
    assert machine.handle(m.PttDown(), 1.5) == []
    assert states(machine.handle(m.DeviceBack(), 2.0)) == ["idle"]


def test_unmute_while_device_still_lost() -> None:
    machine = ListenerMachine(MachineConfig())
    drive(machine, [(m.DeviceLost(), 0.0), (m.Mute(True), 1.0)])
    assert states(machine.handle(m.Mute(False), 2.0)) == ["device_lost"]


def test_typed_command_reply_closes_the_command_path() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    effects = machine.handle(m.Typed("已打开计算器"), 1.0)
    assert m.Speak("已打开计算器") in effects and machine.state is State.SPEAKING
    lost = ListenerMachine(MachineConfig())
    lost.handle(m.DeviceLost(), 0.0)
    effects = lost.handle(m.Typed("好的"), 1.0)
    assert effects == [m.Speak("好的")] and lost.state is State.DEVICE_LOST


def test_mode_switch_while_resting() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.PTT))
    assert states(machine.handle(m.SetMode(Mode.WAKE), 0.0)) == ["wake_listen"]
    machine.handle(m.WakeWord(1.0), 1.1)
    assert machine.handle(m.SetMode(Mode.PTT), 1.2) == []  # the capture goes on
    machine.handle(m.CaptureEnded(False), 6.0)
    assert machine.state is State.IDLE


def test_states_are_string_enums() -> None:
    assert State.WAKE_LISTEN == "wake_listen" and isinstance(State.IDLE, str)


def test_wake_watcher_is_deaf_only_while_its_own_reply_plays() -> None:
    from app.listener.wake import WakeWatcher
    from asr.kws import Detection

    watcher = WakeWatcher.__new__(WakeWatcher)  # the echo bookkeeping needs no spotter
    watcher._deaf = []
    watcher.deafen(10.0)
    assert watcher._is_echo(Detection("你好小灵", 11.0, 12.0, -0.5))
    watcher.hear_again(15.3)
    assert watcher._is_echo(Detection("你好小灵", 14.0, 15.0, -0.5))
    assert not watcher._is_echo(Detection("你好小灵", 20.0, 21.0, -0.5))  # the person, later


def test_a_wake_phrase_in_the_follow_up_window_is_a_wake() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE, follow_up=4.0, chime=True))
    drive(machine, [(m.WakeWord(1.0), 1.5), (m.CaptureEnded(True), 3.0),
                    (m.Decided("好的"), 3.1), (m.ReplyEnded(), 4.0)])
    assert machine.state is State.FOLLOW_UP and machine.spotting
    effects = machine.handle(m.WakeWord(end=5.2), 5.7)
    assert m.CancelCapture() in effects and m.Chime() in effects
    assert m.Arm(5.2, 5.0, woken=True) in effects  # the command comes after the phrase
    assert machine.state is State.CAPTURE


def test_the_wake_phrase_said_again_restarts_the_wait() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    drive(machine, [(m.WakeWord(1.0), 1.5)])
    effects = machine.handle(m.WakeWord(end=3.0), 3.5)
    assert m.Arm(3.0, 5.0, woken=True) in effects and machine.state is State.CAPTURE
    ptt = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    drive(ptt, [(m.PttDown(), 1.0)])
    assert not ptt.spotting  # a pressed capture is not interrupted by the spotter
    assert ptt.handle(m.WakeWord(end=2.0), 2.5) == []


def test_replies_nobody_asked_for_wait_until_the_command_is_answered() -> None:
    """A timer goes off while a command is captured, decided and answered: it is said after."""
    machine = ListenerMachine(MachineConfig(mode=Mode.WAKE))
    effects = drive(machine, [(m.WakeWord(1.0), 1.5), (m.Typed("计时器时间到了"), 2.0)])
    assert not any(isinstance(e, (m.Speak, m.CancelCapture)) for e in effects)
    assert machine.state is State.CAPTURE and machine.queued == 1
    effects = drive(machine, [(m.CaptureEnded(True), 3.0), (m.Typed("已打开计算器"), 3.1),
                              (m.Decided("好的"), 3.2)])
    assert [e for e in effects if isinstance(e, m.Speak)] == [m.Speak("好的")]
    effects = machine.handle(m.ReplyEnded(), 4.0)
    assert effects == [m.Speak("计时器时间到了")] and machine.state is State.SPEAKING
    effects = machine.handle(m.ReplyEnded(), 5.0)
    assert effects == [m.Speak("已打开计算器")]
    assert states(machine.handle(m.ReplyEnded(), 6.0)) == ["wake_listen"]


def test_waiting_replies_are_said_at_once_when_the_microphone_closes() -> None:
    machine = ListenerMachine(MachineConfig(mode=Mode.PTT))
    drive(machine, [(m.PttDown(), 1.0), (m.Typed("计时器时间到了"), 1.5)])
    effects = machine.handle(m.Mute(True), 2.0)
    assert m.Speak("计时器时间到了") in effects and machine.queued == 0
