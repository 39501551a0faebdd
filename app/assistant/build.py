"""Putting the assistant together: the user's settings, the grammar in force, every built-in
action (checked against the grammar: an action without a handler is an error at its file:line),
the dispatcher and the conversation.

``known_actions`` tells the grammar checks (intents/, which never imports app/) which actions
exist and which slots each needs; ``declare_actions`` leaves them beside the last good copy of
the user's grammar, where the grammar store that loads it at start reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.actions.registry import BUILT_IN_ACTIONS, ActionSet, build_actions
from app.actions.timer_store import Entry
from app.assistant.assistant import Assistant
from app.assistant.dialogue import Dialogue
from app.assistant.dispatcher import Dispatcher, missing_handlers
from app.assistant.policy import Policy
from app.config import AppSettings, load_settings
from asr.errors import LingyinError
from intents.errors import GrammarErrors
from intents.grammar import default_lists_dir
from intents.last_good import LastGood
from intents.model import ActionNeeds, Grammar

if TYPE_CHECKING:
    from app.actions.apps import AppActions


@dataclass
class Built:
    assistant: Assistant
    actions: ActionSet
    dispatcher: Dispatcher

    def close(self) -> None:
        self.dispatcher.close()
        self.actions.close()


def build_assistant(grammar: Callable[[], Grammar], match: Callable[..., Any], *,
                    grammar_path: Path, lists: Path | None = None, dry_run: bool = False,
                    settings: AppSettings | None = None,
                    on_timer: Callable[[Entry], None] | None = None,
                    stop_speaking: Callable[[], None] | None = None,
                    apps: AppActions | None = None) -> Built:
    settings = settings or load_settings()
    actions = build_actions(settings, grammar, lists_dir=lists or default_lists_dir(grammar_path),
                            on_timer=on_timer, stop_speaking=stop_speaking, apps=apps)
    problems = missing_handlers(grammar(), actions.handlers)
    if problems:
        actions.close()
        raise GrammarErrors(problems)
    dispatcher = Dispatcher(actions.handlers)
    assistant = Assistant(grammar, match, dispatcher, Dialogue(Policy.load()), dry_run=dry_run)
    return Built(assistant, actions, dispatcher)


def known_actions(policy: Policy | None = None) -> dict[str, ActionNeeds]:
    """Every built-in action and the slots it needs: one of the assistant's ``required`` slots
    (resources/assistant/zh-CN.yaml, keyed like the action: without one, the action and the
    assistant ask for it, 要打开哪个应用？)."""
    required = (policy or Policy.load()).required
    return {name: ActionNeeds(required[name].any_of if name in required else ())
            for name in BUILT_IN_ACTIONS}


def declare_actions(last_good: LastGood | None = None) -> None:
    """Tell the store of the user's grammar what :func:`known_actions` are (before it loads)."""
    (last_good or LastGood.default()).declare(known_actions())


def grammar_errors_message(exc: GrammarErrors, path: Path) -> LingyinError:
    listed = "\n".join(str(p) for p in exc.problems)
    return LingyinError(f"the grammar at {path} cannot be used:\n{listed}\nfix it, or run "
                        "`lingyin check-grammar`")
