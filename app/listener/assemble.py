"""Putting a listener together from plain options: model, grammar, wake words, VAD, audio
source and speaker (shared by `lingyin listen`, the benchmarks and, later, the desktop app)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from app.listener.capture import EndpointPolicy, fixed_judge, grammar_judge
from app.listener.events import EventSink, ListenerEvent
from app.listener.machine import MachineConfig, Mode
from app.listener.runtime import Listener, ListenerConfig, Voice
from app.listener.segmenter import EndpointConfig
from app.listener.sources import AudioSource, FileSource, MicrophoneSource
from app.listener.speaker import Speaker, SpeakerSettings
from app.listener.vad import make_vad
from asr.errors import LingyinError
from asr.kws import DEFAULT_SENSITIVITY, Keyword, KeywordSpotter
from asr.readings import ReadingError
from asr.recognizer import Recognizer
from intents.model import KnownActions
from intents.speech import LiveUnderstander, ToHanzi


@dataclass(frozen=True)
class ListenerOptions:
    machine: MachineConfig = field(default_factory=MachineConfig)
    wake: list[str] = field(default_factory=list)  # "PHRASE" or "PHRASE:SENSITIVITY"
    device: str | None = None
    allow_monitor: bool = False  # record a loudspeaker's monitor on purpose (monitor_guard)
    input: Path | None = None
    fast: bool = False
    chunk: int = 512
    speak: bool = True
    grammar: Path | None = None
    lists: Path | None = None
    vad: str = "webrtc"
    vad_aggressiveness: int = 2
    hangover: float | None = None  # fixed hangover instead of grammar-aware endpointing
    model_dir: Path | None = None
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    speaker: SpeakerSettings = field(default_factory=SpeakerSettings)
    # the actions behind the listener, so the grammar is checked against them (None: unchecked)
    known_actions: KnownActions | None = None


@dataclass
class Assembled:
    listener: Listener
    recognizer: Recognizer
    live: LiveUnderstander
    voice: Voice | None = None

    def close(self) -> None:
        close = getattr(self.voice, "close", None)
        if close is not None:
            close()


def parse_wake(spec: str) -> tuple[str, float]:
    phrase, sep, value = spec.rpartition(":")
    if not sep:
        return spec.strip(), DEFAULT_SENSITIVITY
    try:
        sensitivity = float(value)
    except ValueError:
        raise LingyinError(f"wake phrase {spec!r}: the sensitivity after ':' must be a number "
                           "between 0 and 1") from None
    if not 0.0 <= sensitivity <= 1.0:
        raise LingyinError(f"wake phrase {spec!r}: the sensitivity must be between 0 and 1")
    return phrase.strip(), sensitivity


def build_spotter(recognizer: Recognizer, specs: list[str]) -> KeywordSpotter | None:
    keywords = []
    for spec in specs:
        phrase, sensitivity = parse_wake(spec)
        try:
            keywords.append(Keyword.from_text(phrase, recognizer.model, sensitivity))
        except (ReadingError, ValueError) as exc:
            raise LingyinError(f"wake phrase {spec!r}: {exc}") from exc
    return KeywordSpotter(recognizer.model, keywords) if keywords else None


def live_understander(recognizer: Recognizer, grammar: Path | None, lists: Path | None,
                      to_hanzi: ToHanzi,
                      known_actions: KnownActions | None = None) -> LiveUnderstander:
    from intents.store import GrammarStore, ensure_user_grammar

    path = grammar if grammar is not None else ensure_user_grammar()
    store = GrammarStore(path, lists, known_actions=known_actions)
    live = LiveUnderstander(recognizer, store, to_hanzi=to_hanzi)
    problems = live.refresh()
    if live.store.matcher is not None:  # load the text matcher's tables now, not at the first
        live.store.matcher.match("你好")  # command that needs them (6 MB, a second)
    if live.store.grammar is None:
        listed = "; ".join(str(p) for p in problems[:5])
        raise LingyinError(f"the grammar at {path} has errors: {listed}; fix them or run "
                           "`lingyin check-grammar`")
    return live


def make_source(options: ListenerOptions) -> AudioSource:
    if options.input is not None:
        return FileSource(options.input, options.chunk, fast=options.fast)
    return MicrophoneSource(options.device or None, block_samples=options.chunk,
                            allow_monitor=options.allow_monitor)


def build_listener(options: ListenerOptions, on_event: EventSink, *,
                   recognizer: Recognizer | None = None, to_hanzi: ToHanzi | None = None,
                   source: AudioSource | None = None, voice: Voice | None = None) -> Assembled:
    """``voice``: instead of the speaker ``options.speak`` would make (tests)."""
    recognizer = recognizer or Recognizer.load(options.model_dir)
    if to_hanzi is None:
        from asr.hanzi import lazy_to_hanzi

        to_hanzi = lazy_to_hanzi()  # loaded when a turn first converts free speech
    live = live_understander(recognizer, options.grammar, options.lists, to_hanzi,
                             options.known_actions)
    spotter = build_spotter(recognizer, options.wake)
    if options.machine.mode is Mode.WAKE and spotter is None:
        raise LingyinError("wake mode needs at least one wake phrase (--wake PHRASE)")
    endpoint, policy = options.endpoint, EndpointPolicy()
    if options.hangover is not None:
        endpoint = replace(endpoint, hangover=options.hangover)
        policy = replace(policy, grammar_aware=False)
    config = ListenerConfig(machine=options.machine, endpoint=endpoint, policy=policy)
    source = source or make_source(options)
    holder: dict[str, Listener] = {}
    if voice is None and options.speak:
        voice = _speaker(holder, options.speaker)
    listener = Listener(source, live, make_vad(options.vad, options.vad_aggressiveness),
                        judge=grammar_judge if policy.grammar_aware else fixed_judge,
                        on_event=on_event, spotter=spotter, voice=voice,
                        config=config, live_time=options.input is None)
    holder["listener"] = listener
    return Assembled(listener, recognizer, live, voice)


def _speaker(holder: dict[str, Listener], settings: SpeakerSettings) -> Voice:

    def ended(reply_id: int, interrupted: bool) -> None:
        holder["listener"].reply_ended(reply_id, interrupted)

    def error(message: str) -> None:
        holder["listener"].reply_error(message)

    return Speaker(settings, on_end=ended, on_error=error)


__all__ = ["Assembled", "ListenerEvent", "ListenerOptions", "build_listener"]
