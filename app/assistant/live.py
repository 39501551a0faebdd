"""The listener with the assistant behind it: spoken commands are acted on and answered, timers
go off aloud, typed commands take the same path (what `lingyin listen` and the desktop app run).
The listener stays ignorant of the actions: the assistant plugs into its ``decide`` hook."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.actions.apps import AppActions
from app.actions.registry import prepare_apps
from app.actions.timer_replies import announcement, missed_text
from app.actions.timer_store import Entry
from app.assistant.build import Built, build_assistant, grammar_errors_message, known_actions
from app.assistant.service import AssistantService
from app.listener.assemble import Assembled, ListenerOptions, build_listener
from app.listener.events import EventSink
from app.listener.runtime import Reply
from intents.errors import GrammarErrors


@dataclass
class Live:
    listened: Assembled
    built: Built
    service: AssistantService

    @property
    def listener(self) -> Any:
        return self.listened.listener

    def close(self) -> None:
        self.service.close()
        self.built.close()
        self.listened.close()


def build_live(options: ListenerOptions, on_event: EventSink, *, dry_run: bool = False,
               on_announce: Callable[[str], None] | None = None,
               **listener_parts: Any) -> Live:
    if options.known_actions is None:  # the grammar is checked against the actions behind it
        options = replace(options, known_actions=known_actions())
    options, apps = _apps_listed(options)
    listened = build_listener(options, on_event, **listener_parts)
    listener = listened.listener
    live_grammar = listener.understanders
    service_box: list[AssistantService] = []

    def on_timer(entry: Entry) -> None:
        if service_box:
            service_box[0].announce(announcement(entry))

    def grammar() -> Any:
        return live_grammar.current().grammar

    store = listened.live.store
    try:
        built = build_assistant(grammar, store.match, grammar_path=store.path,
                                lists=store.lists_dir, dry_run=dry_run, on_timer=on_timer,
                                stop_speaking=_stopper(listened), apps=apps)
    except GrammarErrors as exc:
        listened.close()
        raise grammar_errors_message(exc, store.path) from exc
    service = AssistantService(built.assistant, Reply, on_announce=on_announce)
    service_box.append(service)
    service.say = listener.say
    listener.decide = service.decide
    listener.on_answer_lapsed = service.lapse
    missed = built.actions.timers.scheduler.missed() if built.actions.timers.scheduler else []
    text = missed_text(missed, time.time()) if missed else None
    if text:
        service.announce(text)
    return Live(listened, built, service)


def _apps_listed(options: ListenerOptions) -> tuple[ListenerOptions, AppActions]:
    """The installed apps, merged into the grammar's apps list before the grammar is loaded
    (after, the rewritten list would have it loaded and compiled a second time); the options
    name the grammar folder they used."""
    from intents.grammar import default_lists_dir
    from intents.store import ensure_user_grammar

    path = options.grammar if options.grammar is not None else ensure_user_grammar()
    apps = prepare_apps(options.lists or default_lists_dir(path))
    return replace(options, grammar=path), apps


def _stopper(listened: Assembled) -> Any:
    voice = listened.voice
    return voice.stop if voice is not None else None
