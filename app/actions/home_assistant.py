"""A small client for Home Assistant's REST API (stdlib ``urllib`` only).

What it uses: ``GET /api/`` (health check), ``GET /api/states`` and ``GET /api/states/<id>``
(entities with their ``state`` and ``attributes``), ``POST /api/services/<domain>/<service>``
with a JSON body (``{"entity_id": [...], "brightness_pct": 50}``; the answer lists the states
that changed) and ``POST /api/template`` (only to learn each entity's area, which the states do
not carry). Every request sends ``Authorization: Bearer TOKEN``; it goes through
:mod:`app.actions.http_fetch`, so it has a total deadline (``timeout``, not per read) and a cap
on the answer (``MAX_BYTES``, enough for the states of a large house).

Redirects are never followed: Home Assistant's API does not redirect, so a redirect means the
address in the settings is not (only) Home Assistant — following it would hand the token to
whatever answers there, or turn a service call into a GET whose 200 means nothing. The user is
told where it pointed. A service call succeeded only when Home Assistant itself answered the
POST with 2xx.

Every failure becomes a ``HomeAssistantError`` with a reason for the user (Mandarin) and a cause
for the log: not configured, refused or unreachable, timeout, a redirect, an answer too large,
401/403, 404, 400 (the service rejected the data), 5xx, an answer that is not JSON. The
connection is direct (no system proxy): Home Assistant is the user's own server, usually on the
local network.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.actions.http_fetch import (
    Answer,
    FetchError,
    FetchTimeout,
    RedirectRefused,
    TooLarge,
    Unreachable,
    fetch,
)

log = logging.getLogger(__name__)

SETTINGS_HINT = "请在设置里填写Home Assistant的地址和长期访问令牌"
# Renders "entity_id<TAB>area" lines; ``area_name`` is one of Home Assistant's template functions.
AREA_TEMPLATE = ("{% for s in states %}{{ s.entity_id }}\t{{ area_name(s.entity_id) or '' }}\n"
                 "{% endfor %}")
AREA_CACHE_SECONDS = 300.0
AREA_RETRY_SECONDS = 30.0  # after the template failed (an old or restricted server)
MAX_BYTES = 8 << 20  # the largest answer read (/api/states of a house with thousands of entities)


class HomeAssistantError(Exception):
    """``reason`` is for the user (Mandarin), the message is the technical cause for the log."""

    def __init__(self, reason: str, cause: str, status: int | None = None) -> None:
        super().__init__(cause)
        self.reason = reason
        self.status = status


class NotConfigured(HomeAssistantError):
    pass


@dataclass(frozen=True)
class EntityState:
    entity_id: str
    state: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    area: str = ""

    @property
    def domain(self) -> str:
        return self.entity_id.partition(".")[0]

    @property
    def name(self) -> str:
        """The friendly name, or the object id when there is none."""
        name = self.attributes.get("friendly_name")
        if isinstance(name, str) and name.strip():
            return name.strip()
        return self.entity_id.partition(".")[2].replace("_", " ")

    def number(self, attribute: str) -> float | None:
        value = self.attributes.get(attribute)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    @staticmethod
    def from_json(data: object) -> EntityState:
        if not isinstance(data, dict) or not isinstance(data.get("entity_id"), str):
            raise ValueError(f"not an entity state: {str(data)[:200]}")
        attributes = data.get("attributes")
        return EntityState(data["entity_id"], str(data.get("state", "")),
                           attributes if isinstance(attributes, dict) else {})


def normalise_url(url: str) -> str:
    """``homeassistant.local:8123/`` → ``http://homeassistant.local:8123`` (no trailing /api)."""
    url = url.strip().rstrip("/")
    if url and "://" not in url:
        url = "http://" + url
    if url.endswith("/api"):
        url = url[:-4]
    return url


class HomeAssistantClient:
    def __init__(self, url: str, token: str, timeout: float = 3.0) -> None:
        self.url = normalise_url(url)
        self.token = token.strip()
        self.timeout = timeout  # for each request in all (connect, headers and body)
        self._lock = threading.Lock()
        self._areas: tuple[float, dict[str, str]] | None = None  # (valid until, areas)

    @property
    def configured(self) -> bool:
        return bool(self.url and self.token)

    # -- the API ----------------------------------------------------------------------------
    def ping(self) -> str:
        answer = self._request("GET", "/api/")
        return str(answer.get("message", "")) if isinstance(answer, dict) else ""

    def states(self, with_areas: bool = True) -> list[EntityState]:
        answer = self._request("GET", "/api/states")
        if not isinstance(answer, list):
            raise self._bad_answer("/api/states", answer)
        states = [EntityState.from_json(item) for item in answer
                  if isinstance(item, dict) and isinstance(item.get("entity_id"), str)]
        if not with_areas:
            return states
        areas = self.areas()
        return [EntityState(s.entity_id, s.state, s.attributes, areas.get(s.entity_id, ""))
                for s in states]

    def state(self, entity_id: str) -> EntityState:
        path = "/api/states/" + urllib.parse.quote(entity_id, safe="._")
        try:
            return EntityState.from_json(self._request("GET", path))
        except ValueError as error:
            raise HomeAssistantError("Home Assistant的回应看不懂", str(error)) from error

    def call(self, domain: str, service: str, data: Mapping[str, Any]) -> list[EntityState]:
        """Call a service; returns the states that changed while it ran."""
        path = f"/api/services/{urllib.parse.quote(domain)}/{urllib.parse.quote(service)}"
        answer = self._request("POST", path, dict(data))
        if not isinstance(answer, list):  # e.g. {"changed_states": [...]} with return_response
            answer = answer.get("changed_states", []) if isinstance(answer, dict) else []
        return [EntityState.from_json(item) for item in answer
                if isinstance(item, dict) and isinstance(item.get("entity_id"), str)]

    def areas(self) -> dict[str, str]:
        """entity_id → area name, from a template; cached; {} when the template is refused."""
        with self._lock:
            if self._areas and time.monotonic() < self._areas[0]:
                return self._areas[1]
        keep = AREA_CACHE_SECONDS
        try:
            text = self._request("POST", "/api/template", {"template": AREA_TEMPLATE}, raw=True)
        except HomeAssistantError as error:
            if error.status in (401, 403):
                raise
            log.info("Home Assistant gave no areas (%s)", error)
            text, keep = "", AREA_RETRY_SECONDS
        areas: dict[str, str] = {}
        for line in str(text).splitlines():
            entity_id, _, area = line.partition("\t")
            if entity_id.strip() and area.strip():
                areas[entity_id.strip()] = area.strip()
        with self._lock:
            self._areas = (time.monotonic() + keep, areas)
        return areas

    # -- plumbing ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: object = None, raw: bool = False) -> Any:
        if not self.configured:
            raise NotConfigured(f"还没有设置Home Assistant，{SETTINGS_HINT}",
                                "home_assistant_url or home_assistant_token is empty")
        url = self.url + path
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            answer = fetch(url, method=method, body=data, timeout=self.timeout,
                           max_bytes=MAX_BYTES, redirects=0, proxy=False, headers={
                               "Authorization": f"Bearer {self.token}",
                               "Content-Type": "application/json", "Accept": "application/json"})
        except FetchError as error:
            raise self._fetch_error(error, method, url) from error
        if not answer.ok:
            raise self._http_error(answer, method, url)
        text = answer.text()
        if raw:
            return text
        try:
            return json.loads(text) if text.strip() else None
        except ValueError as error:
            raise self._bad_answer(path, text) from error

    @staticmethod
    def _http_error(answer: Answer, method: str, url: str) -> HomeAssistantError:
        body = answer.text().strip()[:200]
        cause = f"HTTP {answer.status} from {method} {url}: {body or answer.reason}"
        status = answer.status
        if status in (401, 403):
            reason = "Home Assistant拒绝了访问，请在设置里检查访问令牌"
        elif status == 404:
            reason = "Home Assistant里找不到这个设备或服务"
        elif status == 400:
            reason = "Home Assistant没有执行这个操作"
        elif status >= 500:
            reason = "Home Assistant出错了，请稍后再试"
        else:
            reason = "Home Assistant没有接受这个请求"
        return HomeAssistantError(reason, cause, status)

    def _fetch_error(self, error: FetchError, method: str, url: str) -> HomeAssistantError:
        cause = f"{method} {error}"
        if isinstance(error, RedirectRefused):
            guard = "" if error.same_origin else "为了不把访问令牌交给别的服务器，"
            return HomeAssistantError(f"Home Assistant把请求转到了{error.shown}，{guard}"
                                      "没有跟过去；请检查设置里的Home Assistant地址", cause,
                                      error.status)
        if isinstance(error, TooLarge):
            return HomeAssistantError(f"Home Assistant的回应太大（超过{error.limit >> 20} MB），"
                                      "已停止读取", cause)
        if isinstance(error, FetchTimeout):
            return HomeAssistantError("Home Assistant没有及时回应，请稍后再试", cause)
        inner = error.cause if isinstance(error, Unreachable) else error
        if isinstance(inner, ssl.SSLError):  # before ValueError: a failed certificate is both
            return HomeAssistantError("Home Assistant的HTTPS证书验证不通过，请检查设置里的地址",
                                      cause)
        if isinstance(inner, ValueError):  # a malformed URL or token
            return NotConfigured(f"Home Assistant的地址或令牌格式不对，{SETTINGS_HINT}", cause)
        return HomeAssistantError("连不上Home Assistant，请检查它是否开着、设置里的地址是否正确",
                                  cause)

    def _bad_answer(self, path: str, answer: object) -> HomeAssistantError:
        return HomeAssistantError("Home Assistant的回应看不懂",
                                  f"unexpected answer to {path}: {str(answer)[:200]}")
