"""Wake words on the live stream: the keyword spotter restarted whenever spotting resumes, with
detections in the stream's audio time, and intervals where Lingyin's own voice is playing a
reply that contains a wake phrase (detections there are its own echo, not a person)."""

from __future__ import annotations

from dataclasses import replace

from asr.audio import AudioChunk
from asr.kws import Detection, KeywordSpotter, SpotterStream
from intents.textnorm import readings


class WakeWatcher:
    def __init__(self, spotter: KeywordSpotter) -> None:
        self.spotter = spotter
        self._stream: SpotterStream | None = None
        self._offset = 0.0
        self._next = 0.0  # where the audio fed so far ends
        self._deaf: list[tuple[float, float]] = []

    def feed(self, chunk: AudioChunk) -> list[Detection]:
        end = chunk.timestamp + chunk.seconds
        if self._stream is None or abs(chunk.timestamp - self._next) > 0.05:
            self._stream, self._offset = self.spotter.stream(), chunk.timestamp
        self._next = end
        return self._heard(self._stream.accept(chunk.samples))

    def stop(self) -> None:
        """Spotting pauses (a command is being captured); the next feed starts afresh."""
        self._stream = None

    def finish(self) -> list[Detection]:
        if self._stream is None:
            return []
        found = self._heard(self._stream.finish())
        self._stream = None
        return found

    def _heard(self, detections: list[Detection]) -> list[Detection]:
        """In the stream's audio time, without Lingyin's own voice."""
        found = [replace(d, start=round(d.start + self._offset, 2),
                         end=round(d.end + self._offset, 2)) for d in detections]
        return [d for d in found if not self._is_echo(d)]

    def deafen(self, start: float, end: float = float("inf")) -> None:
        """Ignore detections ending within [start, end] (Lingyin itself says a wake phrase);
        an open end lasts until ``hear_again``."""
        self._deaf = [(a, b) for a, b in self._deaf if b > start - 60.0]
        self._deaf.append((start, end))

    def hear_again(self, t: float) -> None:
        """Close every open deaf interval at ``t`` (the reply that said the phrase has ended)."""
        self._deaf = [(a, min(b, t)) for a, b in self._deaf]

    def _is_echo(self, detection: Detection) -> bool:
        return any(a <= detection.end <= b for a, b in self._deaf)

    def said_in(self, text: str) -> bool:
        """Whether ``text`` contains a wake phrase, by toneless reading (so 小玲 counts too;
        a polyphone by any of its readings: a doubtful reply is rather not heard than heard as
        a wake word). The readings are pypinyin's character table as the text matcher reads it
        (intents/textnorm.py), without importing pypinyin."""
        heard = _syllables(text)
        return any(_contains(heard, _syllables(k.phrase)) for k in self.spotter.keywords)


def _syllables(text: str) -> list[frozenset[str]]:
    """Per Han character of ``text``, its toneless readings."""
    return [frozenset(readings(c)) for c in text if "\u4e00" <= c <= "\u9fff"]


def _contains(heard: list[frozenset[str]], phrase: list[frozenset[str]]) -> bool:
    """Whether ``phrase`` is read somewhere in ``heard``, syllable by syllable."""
    size = len(phrase)
    return size > 0 and any(all(heard[start + i] & phrase[i] for i in range(size))
                            for start in range(len(heard) - size + 1))
