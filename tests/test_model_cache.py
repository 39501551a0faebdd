"""The decoder-output cache of the transducer: trimming it never loses a row the current batch
still needs (the KeyError a long session or a huge beam used to hit), it stays within its limit,
evicts the least recently used rows first and gives the same rows as no cache at all."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pytest

import asr.model
from asr.model import TransducerModel
from asr.recognizer import Recognizer


@pytest.fixture()
def model(recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch) -> TransducerModel:
    """The shared model with an empty cache of 4 rows (both restored after the test)."""
    monkeypatch.setattr(recognizer.model, "_decoder_cache", OrderedDict())
    monkeypatch.setattr(asr.model, "DECODER_CACHE_LIMIT", 4)
    return recognizer.model


def histories(model: TransducerModel, count: int) -> list[tuple[int, ...]]:
    """``count`` distinct token histories of the decoder's context size."""
    size = model.context_size
    return [(*(-1,) * (size - 1), token) for token in range(1, count + 1)]


def uncached(model: TransducerModel, contexts: list[tuple[int, ...]]) -> np.ndarray:
    return np.asarray(model._decoder.run(None, {"y": np.array(contexts, dtype=np.int64)})[0])


def test_trimming_keeps_the_rows_of_the_current_batch(model: TransducerModel) -> None:
    a, b, c, d, e = histories(model, 5)
    model.decoder_out([a, b])
    batch = [a, c, d, e, b, a]  # two cached rows, three new ones: past the limit of 4
    rows = model.decoder_out(batch)
    np.testing.assert_allclose(rows, uncached(model, batch), rtol=1e-5, atol=1e-6)
    assert len(model._decoder_cache) <= 4


def test_a_batch_larger_than_the_limit(model: TransducerModel) -> None:
    batch = histories(model, 10)
    rows = model.decoder_out(batch + batch[:3])
    assert rows.shape[0] == 13
    np.testing.assert_allclose(rows, uncached(model, batch + batch[:3]), rtol=1e-5, atol=1e-6)
    assert len(model._decoder_cache) == 4


def test_least_recently_used_rows_go_first(model: TransducerModel,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asr.model, "DECODER_CACHE_LIMIT", 3)
    a, b, c, d = histories(model, 4)
    model.decoder_out([a, b, c])
    model.decoder_out([a])  # a is used again: b is now the oldest
    model.decoder_out([d])
    assert list(model._decoder_cache) == [c, a, d]


def test_a_long_session_with_a_tiny_cache_gives_the_same_result(
        recognizer: Recognizer, model: TransducerModel, samples_0001: np.ndarray,
        monkeypatch: pytest.MonkeyPatch) -> None:
    small = recognizer.recognize(samples_0001, beam=8)
    assert len(model._decoder_cache) <= 4
    monkeypatch.setattr(asr.model, "DECODER_CACHE_LIMIT", 1 << 20)
    large = recognizer.recognize(samples_0001, beam=8)
    assert small.pinyin == large.pinyin
    assert small.score == pytest.approx(large.score, abs=1e-3)


def test_streams_on_several_threads_share_the_cache(model: TransducerModel) -> None:
    contexts = histories(model, 12)
    expected = uncached(model, contexts)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for step in range(60):
                picks = [(offset + step + k) % len(contexts) for k in range(5)]
                rows = model.decoder_out([contexts[i] for i in picks])
                np.testing.assert_allclose(rows, expected[picks], rtol=1e-5, atol=1e-6)
        except BaseException as exc:  # reported in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(model._decoder_cache) <= 4
