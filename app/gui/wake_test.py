"""The settings dialog's "测试唤醒词": listen for a few seconds with the keyword spotter and say,
for each wake phrase, whether it was heard and how strongly (its score against the threshold its
sensitivity sets). Qt-free; the audio source is passed in (a file in tests, the microphone in
the app).

Two spotters run over the same audio: one with the phrases' own sensitivities (the listener's:
it decides "heard") and a lenient one (sensitivity 1) that finds how close a phrase that was not
heard came.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.listener.assemble import parse_wake
from app.listener.sources import AudioSource
from asr.audio import Samples
from asr.kws import Detection, Keyword, KeywordSpotter, SpotterStream, threshold_for
from asr.model import TransducerModel

LISTEN_SECONDS = 5.0
LENIENT = 1.0
SENSITIVITY_STEP = 0.05


@dataclass(frozen=True)
class PhraseResult:
    phrase: str
    sensitivity: float
    threshold: float  # the score the phrase needs at its sensitivity
    score: float | None  # the best score found (None: not even close)
    heard: bool

    @property
    def suggested(self) -> float | None:
        """The sensitivity at which this phrase, as just said, would have been heard (a step
        above the least one, for a margin); None when it was heard or not even close."""
        if self.heard or self.score is None:
            return None
        least = -self.score / 2.0  # asr.kws.threshold_for: threshold = -2 × sensitivity
        stepped = math.ceil(round(least / SENSITIVITY_STEP, 6)) * SENSITIVITY_STEP
        suggested = round(min(1.0, stepped + SENSITIVITY_STEP), 2)
        return suggested if suggested > self.sensitivity else None

    @property
    def spec(self) -> str:
        """``PHRASE:SENSITIVITY`` with the suggested sensitivity (else the current one)."""
        return f"{self.phrase}:{self.suggested or self.sensitivity:g}"

    def describe(self) -> str:
        need = f"门槛 {self.threshold:.2f}（灵敏度 {self.sensitivity:g}）"
        if self.heard and self.score is not None:
            return f"✓ 听到了 “{self.phrase}”：得分 {self.score:.2f}，{need}"
        if self.score is None:
            return f"✗ 没有听到 “{self.phrase}”：请靠近麦克风、说清楚些再试一次"
        advice = (f"把灵敏度调到 {self.suggested:g} 就能听到（灵敏度越高，越容易被别的话误唤醒）"
                  if self.suggested is not None and self.suggested > self.sensitivity
                  else "请说得更清楚些")
        return (f"✗ 没有听到 “{self.phrase}”：最接近的得分 {self.score:.2f}，{need}；"
                f"{advice}")


@dataclass(frozen=True)
class WakeTest:
    results: tuple[PhraseResult, ...]
    seconds: float  # audio listened to

    @property
    def heard(self) -> bool:
        return any(r.heard for r in self.results)

    @property
    def suggestion(self) -> list[str] | None:
        """The wake phrases with the sensitivities that would have heard this test (for a
        "use it" button); None when nothing would change."""
        if self.heard or not any(r.suggested for r in self.results):
            return None
        return [r.spec for r in self.results]

    def describe(self) -> str:
        head = (f"听了 {self.seconds:.1f} 秒，" +
                ("听到了唤醒词。" if self.heard else "没有听到唤醒词。"))
        return "\n".join([head, *(r.describe() for r in self.results)])


def keywords_for(model: TransducerModel, specs: list[str],
                 lenient: bool = False) -> list[tuple[Keyword, float]]:
    """(keyword, its sensitivity) per spec; ValueError names a phrase that cannot be spotted."""
    found = []
    for spec in specs:
        phrase, sensitivity = parse_wake(spec)
        try:
            keyword = Keyword.from_text(phrase, model, LENIENT if lenient else sensitivity)
        except ValueError as exc:
            raise ValueError(f"唤醒词 “{phrase}” 无法识别：{exc}") from exc
        found.append((keyword, sensitivity))
    return found


def _best(detections: list[Detection], into: dict[str, float]) -> None:
    for d in detections:
        into[d.keyword] = max(into.get(d.keyword, d.score), d.score)


def listen_for_wake(model: TransducerModel, specs: list[str], source: AudioSource,
                    seconds: float = LISTEN_SECONDS,
                    clock: Callable[[], float] = time.monotonic) -> WakeTest:
    """Listen to ``source`` for up to ``seconds`` of audio (or wall time, whichever comes first,
    plus a second's grace), stopping early once a phrase is heard. Raises DeviceError."""
    strict = keywords_for(model, specs)
    lenient = keywords_for(model, specs, lenient=True)
    streams = (KeywordSpotter(model, [k for k, _ in strict]).stream(),
               KeywordSpotter(model, [k for k, _ in lenient]).stream())
    heard: dict[str, float] = {}
    near: dict[str, float] = {}
    fed = 0.0
    deadline = clock() + seconds + 1.0
    source.open()
    try:
        while fed < seconds and clock() < deadline and not heard:
            chunk = source.read(0.2)
            if chunk is None:
                if source.finished:
                    break
                continue
            fed += chunk.seconds
            _feed(streams, chunk.samples, heard, near)
    finally:
        source.close()
    _best(streams[0].finish(), heard)
    _best(streams[1].finish(), near)
    results = tuple(_result(k, s, heard, near) for k, s in strict)
    return WakeTest(results, round(fed, 2))


def _feed(streams: tuple[SpotterStream, SpotterStream], samples: Samples,
          heard: dict[str, float], near: dict[str, float]) -> None:
    _best(streams[0].accept(samples), heard)
    _best(streams[1].accept(samples), near)


def _result(keyword: Keyword, sensitivity: float, heard: dict[str, float],
            near: dict[str, float]) -> PhraseResult:
    phrase = keyword.phrase
    if phrase in heard:
        return PhraseResult(phrase, sensitivity, threshold_for(sensitivity), heard[phrase], True)
    return PhraseResult(phrase, sensitivity, threshold_for(sensitivity), near.get(phrase), False)
