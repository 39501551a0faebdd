"""Custom actions written in the grammar (docs/grammar.md, issue 8 §4)::

    action: {run: ["/usr/bin/notify-send", "提醒", "{event}"]}
    action: {open: "https://www.baidu.com/s?wd={query}"}
    action: {http: {method: POST, url: "http://127.0.0.1:8123/x", json: {"text": "{event}"}}}

The grammar loader reads them into :class:`intents.model.CustomAction` and names the intent's
action ``custom.run``, ``custom.open`` or ``custom.http``; these handlers look the spec up by
the intent. Slot values are data: each ``{slot}`` becomes part of exactly the argument, URL
component (percent-encoded, ``/?&#`` included) or JSON string it stands in — a program is run
from an argument list, never a shell, and waited for with a timeout.
"""

from __future__ import annotations

import http.client
import json
import logging
import shlex
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.launch import (
    LaunchError,
    ProgramMissing,
    ProgramTimedOut,
    open_uri,
    run_program,
    start_detached,
)
from app.config import AppSettings
from intents.custom_action import fill, fill_json
from intents.model import CustomAction, Grammar

log = logging.getLogger(__name__)
Runner = Callable[[Sequence[str], float], object]  # run_program: argv, timeout
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def url_component(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class CustomActions(Actions):
    def __init__(self, lookup: Callable[[str], CustomAction | None],
                 run: Runner = run_program, opener: Callable[[str], None] | None = None,
                 run_timeout: float = 8.0, http_timeout: float = 5.0,
                 platform: str = sys.platform) -> None:
        self.lookup = lookup  # "domain.intent" → its custom action
        self._run = run
        self._open = opener or partial(open_uri, start=start_detached, platform=platform)
        self.run_timeout = run_timeout
        self.http_timeout = http_timeout

    @classmethod
    def from_settings(cls, settings: AppSettings,
                      grammar: Callable[[], Grammar | None]) -> CustomActions:
        """``grammar`` gives the grammar in force (e.g. ``lambda: store.grammar``)."""
        del settings  # nothing to configure yet

        def lookup(key: str) -> CustomAction | None:
            current = grammar()
            intent = current.intent(key) if current is not None else None
            return intent.custom if intent is not None else None

        return cls(lookup)

    def handlers(self) -> Mapping[str, Handler]:
        return {"custom.run": self.perform, "custom.open": self.perform,
                "custom.http": self.perform}

    def perform(self, request: ActionRequest) -> ActionResult:
        key = f"{request.domain}.{request.intent}"
        spec = self.lookup(key)
        if spec is None:
            return ActionResult.failed("这个自定义动作找不到了，请检查语法文件。",
                                       f"{key}: no custom action in the grammar")
        if spec.kind == "run":
            return self._run_program(spec, request)
        if spec.kind == "open":
            return self._open_url(spec, request)
        return self._http(spec, request)

    def _run_program(self, spec: CustomAction, request: ActionRequest) -> ActionResult:
        argv = [fill(arg, request.slots) for arg in spec.argv]
        if request.dry_run:
            return ActionResult.dry(f"运行 {shlex.join(argv)}")
        name = argv[0]
        try:
            self._run(argv, self.run_timeout)
        except ProgramMissing as exc:
            return self._failed(f"找不到程序“{name}”，请检查语法文件里的命令。", spec, exc)
        except ProgramTimedOut as exc:
            return self._failed(f"命令“{name}”运行太久，已经停止。", spec, exc)
        except LaunchError as exc:
            return self._failed(f"命令“{name}”没有成功。", spec, exc)
        return ActionResult(True)

    def _open_url(self, spec: CustomAction, request: ActionRequest) -> ActionResult:
        url = fill(spec.url, request.slots, url_component)
        if request.dry_run:
            return ActionResult.dry(f"打开 {url}")
        try:
            self._open(url)
        except LaunchError as exc:
            return self._failed("没能打开链接：这台电脑上没有能打开它的程序。", spec, exc)
        return ActionResult(True)

    def _http(self, spec: CustomAction, request: ActionRequest) -> ActionResult:
        url = fill(spec.url, request.slots, url_component)
        body = None if spec.json is None else fill_json(spec.json, request.slots)
        if request.dry_run:
            return ActionResult.dry(f"{spec.method} {url}")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=spec.method)
        if data is not None:
            req.add_header("Content-Type", "application/json; charset=utf-8")
        host = urllib.parse.urlsplit(url).hostname or ""
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        try:
            with urllib.request.build_opener(*handlers).open(req, timeout=self.http_timeout) \
                    as response:
                response.read()
        except urllib.error.HTTPError as exc:
            return self._failed(f"请求没有成功（{exc.code}）。", spec, exc)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            return self._failed(f"连不上{host or '服务器'}。", spec, exc)
        return ActionResult(True)

    @staticmethod
    def _failed(reply: str, spec: CustomAction, exc: Exception) -> ActionResult:
        log.warning("custom action at %s failed: %s", spec.loc, exc)
        return ActionResult.failed(reply, f"{spec.loc}: {exc}")
