"""The assistant's own intents: greetings, thanks, help, stop, cancel and repeat. Cancel and
repeat are handled by the dialogue before any action runs; their handlers exist so that every
action of the grammar has one."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.actions.base import ActionRequest, ActionResult, Actions, Handler


class AssistantActions(Actions):
    def __init__(self, stop_speaking: Callable[[], None] | None = None) -> None:
        self.stop_speaking = stop_speaking

    def handlers(self) -> Mapping[str, Handler]:
        return {
            "assistant.greet": self._template,
            "assistant.thanks": self._template,
            "assistant.help": self._template,
            "assistant.cancel": self._template,
            "assistant.repeat": self._template,
            "assistant.stop": self._stop,
            "assistant.bye": self._template,
        }

    def _template(self, request: ActionRequest) -> ActionResult:
        """Nothing to do: the grammar's reply is the answer."""
        return ActionResult(not request.dry_run)

    def _stop(self, request: ActionRequest) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry("停止说话")
        if self.stop_speaking is not None:
            self.stop_speaking()
        return ActionResult(True)
