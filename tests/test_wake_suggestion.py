"""The wake test tells a user whose phrase was missed the sensitivity that would have heard it,
and that sensitivity does hear the same recording (issue 15: 测试唤醒词 said only "raise it")."""

from __future__ import annotations

import numpy as np
from listen_helpers import espeak, silence

from app.gui.wake_test import PhraseResult, listen_for_wake
from app.listener.sources import FileSource
from asr.audio import Samples
from asr.recognizer import Recognizer


def source(samples: Samples) -> FileSource:
    return FileSource("espeak", fast=True, samples=samples)


def test_a_missed_phrase_gets_the_sensitivity_that_hears_it(recognizer: Recognizer) -> None:
    """espeak-ng's robotic voice: a voice far from what the model learned, as a stranger's."""
    said = np.concatenate([silence(0.3), espeak("你好小灵"), silence(0.5)])
    strict = listen_for_wake(recognizer.model, ["你好小灵:0.05"], source(said), seconds=10.0)
    (missed,) = strict.results
    assert not missed.heard and missed.score is not None
    assert missed.suggested is not None and 0.05 < missed.suggested <= 1.0
    assert f"把灵敏度调到 {missed.suggested:g} 就能听到" in strict.describe()
    assert strict.suggestion == [f"你好小灵:{missed.suggested:g}"]
    again = listen_for_wake(recognizer.model, strict.suggestion, source(said), seconds=10.0)
    assert again.heard and again.suggestion is None


def test_no_suggestion_when_heard_or_nowhere_near() -> None:
    heard = PhraseResult("你好小灵", 0.6, -1.2, -0.4, True)
    far = PhraseResult("你好小灵", 0.6, -1.2, None, False)
    close = PhraseResult("你好小灵", 0.6, -1.2, -1.31, False)
    assert heard.suggested is None and far.suggested is None
    assert close.suggested == 0.75  # least 0.655 → 0.7, one step of margin


def test_the_settings_dialog_offers_the_suggestion(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.gui.settings import SettingsDialog
    from app.gui.wake_test import WakeTest

    monkeypatch.setenv("LINGYIN_CONFIG_DIR", str(tmp_path / "config"))
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.wake_edit.setPlainText("你好小灵:0.6")
    missed = PhraseResult("你好小灵", 0.6, -1.2, -1.31, False)
    dialog._wake_tested(WakeTest((missed,), 5.0))
    assert dialog.wake_suggest_button.isVisible()
    dialog.wake_suggest_button.click()
    assert dialog.wake_edit.toPlainText() == "你好小灵:0.75"
    assert not dialog.wake_suggest_button.isVisible()
