"""The computer's output volume: up/down by a step, set to N %, mute/unmute, max/min.

The handlers work on a ``VolumeBackend`` (app/actions/volume_backends.py: pulsectl on Linux,
pycaw on Windows, osascript on macOS). Every reply states the level read back afterwards, so what
Lingyin says is what the device really has. Without a sound server or an output device the reply
says so (找不到音频输出设备：…) and the cause goes to the log.

Follow-ups (再大一点) come as the same action; the level is read again each time (the user may
have moved it by hand), and the last level in ``request.context`` only sharpens a dry run's
description.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.volume_backends import Level, NoAudioOutput, VolumeBackend, default_backend
from app.config import AppSettings

log = logging.getLogger(__name__)
DEFAULT_STEP = 10


def clamp(percent: int) -> int:
    return max(0, min(100, percent))


def requested_percent(value: object) -> int | None:
    """The ``volume`` slot as a whole percent (30, 30.0, "30", "30%"), or None."""
    if isinstance(value, bool):
        return None
    number: float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
    else:
        return None
    return round(number) if math.isfinite(number) else None


# A change looks at the level before it, writes, and returns the reply with {level} for the level
# read back afterwards.
Change = Callable[[Level], str]


class VolumeActions(Actions):
    def __init__(self, backend: VolumeBackend, step: int = DEFAULT_STEP) -> None:
        if not 1 <= step <= 100:
            raise ValueError(f"volume step {step} is not within 1..100")
        self.backend = backend
        self.step = step

    @classmethod
    def from_settings(cls, settings: AppSettings,
                      backend: VolumeBackend | None = None) -> VolumeActions:
        step = settings.volume_step
        if not isinstance(step, int) or not 1 <= step <= 100:
            log.warning("volume_step %r is not a whole number in 1..100; using %d",
                        step, DEFAULT_STEP)
            step = DEFAULT_STEP
        return cls(backend or default_backend(), step=step)

    def handlers(self) -> Mapping[str, Handler]:
        return {"volume.up": self.up, "volume.down": self.down, "volume.set": self.set,
                "volume.mute": self.mute, "volume.unmute": self.unmute,
                "volume.max": self.max, "volume.min": self.min}

    # -- handlers ---------------------------------------------------------------------------
    def up(self, request: ActionRequest) -> ActionResult:
        step = self._step_of(request)
        return self._apply(request, self._describe_step(request, step),
                           lambda before: self._step(before, step))

    def down(self, request: ActionRequest) -> ActionResult:
        step = -self._step_of(request)
        return self._apply(request, self._describe_step(request, step),
                           lambda before: self._step(before, step))

    def _step_of(self, request: ActionRequest) -> int:
        """The step said (音量加十, 调高百分之二十), else the configured one."""
        said = requested_percent(request.slots.get("step"))
        return clamp(said) if said is not None and said > 0 else self.step

    def set(self, request: ActionRequest) -> ActionResult:
        wanted = requested_percent(request.slots.get("volume"))
        if wanted is None:
            return ActionResult.failed("要把音量调到多少？请说一个0到100之间的百分比",
                                       f"volume.set without a usable volume slot: {request.slots}")
        target = clamp(wanted)
        note = ""
        if wanted > 100:
            note = "音量最高是100%，"
        elif wanted < 0:
            note = "音量最低是0%，"
        return self._apply(request, f"把音量调到{target}%",
                           lambda before: note + self._to(before, target, "音量已调到{level}%"))

    def mute(self, request: ActionRequest) -> ActionResult:
        return self._apply(request, "静音", self._mute)

    def unmute(self, request: ActionRequest) -> ActionResult:
        return self._apply(request, "取消静音", self._unmute)

    def max(self, request: ActionRequest) -> ActionResult:
        return self._apply(request, "把音量调到最大（100%）",
                           lambda before: self._to(before, 100, "音量已调到最大（{level}%）"))

    def min(self, request: ActionRequest) -> ActionResult:
        return self._apply(request, "把音量调到最小（0%）",
                           lambda before: self._to(before, 0, "音量已调到最小（{level}%）",
                                                  unmute=False))

    # -- the changes ------------------------------------------------------------------------
    def _step(self, before: Level, delta: int) -> str:
        if delta > 0 and before.percent >= 100:
            if before.muted:
                self.backend.set_muted(False)
                return "已取消静音，音量已经是最大了（{level}%）"
            return "音量已经是最大了（{level}%）"
        if delta < 0 and before.percent <= 0:
            return "音量已经是最小了（{level}%）"
        return self._to(before, clamp(before.percent + delta), "音量已调到{level}%",
                        unmute=delta > 0)

    def _to(self, before: Level, target: int, reply: str, unmute: bool = True) -> str:
        """Set ``target``. Asking for a level (or louder) lifts a mute; quieter keeps it."""
        self.backend.set_percent(target)
        if not before.muted:
            return reply
        if unmute and target > 0:
            self.backend.set_muted(False)
            return "已取消静音，" + reply
        return reply + "（仍是静音）"

    def _mute(self, before: Level) -> str:
        if before.muted:
            return "已经是静音了"
        self.backend.set_muted(True)
        return "已静音"

    def _unmute(self, before: Level) -> str:
        if before.muted:
            self.backend.set_muted(False)
            return "已取消静音，音量{level}%"
        return "没有静音，音量{level}%"

    # -- plumbing ---------------------------------------------------------------------------
    def _describe_step(self, request: ActionRequest, delta: int) -> str:
        word = "调高" if delta > 0 else "调低"
        last = requested_percent(request.context.get("level"))
        if last is None:
            return f"把音量{word}{abs(delta)}%"
        return f"把音量从{last}%{word}到{clamp(last + delta)}%"

    def _apply(self, request: ActionRequest, description: str, change: Change) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry(description)
        try:
            reply = change(self.backend.read())
            after = self.backend.read()
        except NoAudioOutput as error:
            return ActionResult.failed(f"找不到音频输出设备：{error.reason}", str(error))
        return ActionResult(True, reply=reply.replace("{level}", str(after.percent)),
                            values={"level": after.percent, "muted": after.muted},
                            context={"level": after.percent, "muted": after.muted})
