"""Custom actions written in the grammar (docs/grammar.md, issue 8 §4)::

    action: {run: ["/usr/bin/notify-send", "提醒", "{event}"]}
    action: {open: "https://www.baidu.com/s?wd={query}"}
    action: {http: {method: POST, url: "http://127.0.0.1:8123/x", json: {"text": "{event}"}}}

The grammar loader reads them into :class:`intents.model.CustomAction` and names the intent's
action ``custom.run``, ``custom.open`` or ``custom.http``; these handlers look the spec up by
the intent. Slot values are data: each ``{slot}`` becomes part of exactly the argument, URL
component (percent-encoded, ``/?&#`` included) or JSON string it stands in.

- ``run``: an argument list, never a shell; a slot value starting with ``-`` is refused (it
  would be an option to the program) unless the action says ``allow_options: true``. The
  program runs under :func:`app.actions.bounded_run.run_bounded`: a timeout that ends its whole
  process group, output drained and capped, nothing left running behind it.
- ``http``: :func:`app.actions.http_fetch.fetch` — one deadline for the whole request, at most
  ``HTTP_MAX_BYTES`` of the answer, redirects followed only within the same origin and with the
  same method and body; success is a 2xx answer.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.bounded_run import run_bounded
from app.actions.http_fetch import FetchError, FetchTimeout, RedirectRefused, TooLarge, fetch
from app.actions.launch import (
    LaunchError,
    ProgramMissing,
    ProgramTimedOut,
    open_uri,
    start_detached,
)
from app.config import AppSettings
from intents.custom_action import ALLOW_OPTIONS, fill, fill_json, option_like
from intents.model import CustomAction, Grammar

log = logging.getLogger(__name__)
Runner = Callable[[Sequence[str], float], object]  # run_bounded: argv, timeout
HTTP_MAX_BYTES = 1 << 20  # the answer is not used; more than this is a misbehaving server
HTTP_REDIRECTS = 3  # within the same origin, same method and body


def url_component(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class CustomActions(Actions):
    def __init__(self, lookup: Callable[[str], CustomAction | None],
                 run: Runner = run_bounded, opener: Callable[[str], None] | None = None,
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
        options = option_like(spec, request.slots)
        if options:
            return self._refused(options[0], spec)
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
        headers = {} if data is None else {"Content-Type": "application/json; charset=utf-8"}
        host = urllib.parse.urlsplit(url).hostname or "服务器"
        try:
            answer = fetch(url, method=spec.method, body=data, headers=headers,
                           timeout=self.http_timeout, max_bytes=HTTP_MAX_BYTES,
                           redirects=HTTP_REDIRECTS)
        except FetchError as exc:
            return self._failed(fetch_failure(host, exc), spec, exc)
        if not answer.ok:
            return self._failed(f"请求没有成功（{answer.status}）。", spec,
                                f"HTTP {answer.status} {answer.reason} from {spec.method} {url}")
        return ActionResult(True)

    @staticmethod
    def _refused(value: str, spec: CustomAction) -> ActionResult:
        shown = value if len(value) <= 30 else value[:29] + "…"
        return CustomActions._failed(
            f"“{shown}”以“-”开头，会被程序当成选项，所以没有运行。如果这是有意的，请在语法文件里"
            f"给这个动作加上 {ALLOW_OPTIONS}: true。", spec,
            f"the slot value {value!r} looks like an option ({ALLOW_OPTIONS} is not set)")

    @staticmethod
    def _failed(reply: str, spec: CustomAction, exc: Exception | str) -> ActionResult:
        log.warning("custom action at %s failed: %s", spec.loc, exc)
        return ActionResult.failed(reply, f"{spec.loc}: {exc}")


def fetch_failure(host: str, exc: FetchError) -> str:
    """The reply for a request that got no usable answer."""
    if isinstance(exc, RedirectRefused):
        return f"{host}把请求转到了{exc.shown}，没有跟过去。"
    if isinstance(exc, TooLarge):
        return f"{host}的回应太大（超过{exc.limit >> 20} MB），已停止读取。"
    if isinstance(exc, FetchTimeout):
        return f"连不上{host}：它没有及时回应。"
    return f"连不上{host}。"
