"""A fake Home Assistant for the tests: a real HTTP server on 127.0.0.1 (an ephemeral port, a
thread) that speaks the part of the REST API Lingyin uses, over a small in-memory house.

``GET /api/``, ``GET /api/states``, ``GET /api/states/<id>`` (404 when unknown),
``POST /api/services/<domain>/<service>`` (updates the states, answers the changed states; 400
for an unknown service or a temperature out of range), ``POST /api/template`` (only the area
template the client sends). Every request needs ``Authorization: Bearer <token>`` (401 otherwise).
``delay`` holds every answer back (a slow server), ``fail`` answers every request with that status.
``FakeHomeAssistant(more=True)``: a bigger house (``more_house``) with locks, door and window
sensors, covers with and without positions, a colour light, scenes and a robot vacuum; a lock in
``jammed`` jams when called. A light refuses colour data it does not support (400), and a cover
without SET_POSITION refuses ``set_cover_position``.
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.actions.home_assistant import AREA_TEMPLATE

TOKEN = "test-token"


def entity(entity_id: str, state: str, **attributes: Any) -> tuple[str, dict[str, Any]]:
    return entity_id, {"entity_id": entity_id, "state": state, "attributes": attributes,
                       "last_changed": "2024-05-01T08:00:00+00:00"}


def house(more: bool = False) -> dict[str, dict[str, Any]]:
    return dict([*basic_house(), *(more_house() if more else [])])


def basic_house() -> list[tuple[str, dict[str, Any]]]:
    return [
        entity("light.bedroom", "off", friendly_name="卧室 灯",
               supported_color_modes=["brightness"], brightness=None),
        entity("light.living_room", "on", friendly_name="客厅 灯",
               supported_color_modes=["color_temp", "hs"], brightness=128),
        entity("light.desk_lamp", "off", friendly_name="台灯", supported_color_modes=["onoff"]),
        entity("climate.living_room", "cool", friendly_name="客厅 空调", temperature=26,
               current_temperature=27.5, min_temp=16, max_temp=30,
               hvac_modes=["off", "cool", "heat"]),
        entity("sensor.bedroom_temperature", "24.5", friendly_name="卧室 温度",
               device_class="temperature", unit_of_measurement="°C"),
        entity("switch.study_fan", "off", friendly_name="书房 风扇"),
        entity("cover.bedroom_curtain", "closed", friendly_name="卧室 窗帘", current_position=0),
        entity("sun.sun", "above_horizon", friendly_name="Sun"),
    ]


def more_house() -> list[tuple[str, dict[str, Any]]]:
    return [
        entity("lock.front_door", "locked", friendly_name="大门", supported_features=0),
        entity("lock.back_door", "unlocked", friendly_name="后门", supported_features=0),
        entity("binary_sensor.garage_door", "off", friendly_name="车库门",
               device_class="garage_door"),
        entity("binary_sensor.bedroom_window", "on", friendly_name="卧室 窗户",
               device_class="window"),
        entity("cover.living_room_curtain", "open", friendly_name="客厅 窗帘", current_position=70,
               supported_features=15),
        entity("cover.study_blind", "closed", friendly_name="书房 百叶窗", supported_features=3),
        entity("cover.garage", "closed", friendly_name="车库门", device_class="garage",
               supported_features=3),
        entity("light.living_room_strip", "on", friendly_name="客厅 灯带", brightness=153,
               supported_color_modes=["rgb"], color_mode="rgb", rgb_color=[255, 255, 255],
               effect_list=["None", "colorloop"], effect="None"),
        entity("light.balcony", "off", friendly_name="阳台 灯", supported_color_modes=["onoff"]),
        entity("scene.movie", "2024-05-01T07:00:00+00:00", friendly_name="Movie Time"),
        entity("scene.sleep", "2024-05-01T07:00:00+00:00", friendly_name="睡眠模式"),
        entity("scene.arrive", "2024-05-01T07:00:00+00:00", friendly_name="回家"),
        entity("vacuum.roborock", "docked", friendly_name="扫地机器人", battery_level=100),
    ]


AREAS = {"light.desk_lamp": "书房"}
ACTIVATED = "2024-05-01T08:05:00+00:00"  # a scene's state: when it was last turned on


def light_colour(attributes: dict[str, Any], data: dict[str, Any]) -> str | None:
    """Sets a light's colour from ``light.turn_on`` data; what it cannot do, as HA says it."""
    modes = set(attributes.get("supported_color_modes") or [])
    if "rgb_color" in data:
        if not modes & {"hs", "xy", "rgb", "rgbw", "rgbww"}:
            return "does not support rgb_color"
        attributes.update(rgb_color=data["rgb_color"], color_mode="rgb")
    if "color_temp_kelvin" in data:
        if "color_temp" not in modes:
            return "does not support color_temp_kelvin"
        attributes.update(color_temp_kelvin=data["color_temp_kelvin"], color_mode="color_temp")
    if "effect" in data:
        if data["effect"] not in (attributes.get("effect_list") or []):
            return f"does not support effect {data['effect']}"
        attributes["effect"] = data["effect"]
    return None


class FakeHomeAssistant:
    def __init__(self, token: str = TOKEN, more: bool = False) -> None:
        self.token = token
        self.states = house(more)
        self.jammed: set[str] = set()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []
        self.delay = 0.0
        self.fail: int | None = None
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def state(self, entity_id: str) -> str:
        return str(self.states[entity_id]["state"])

    def attribute(self, entity_id: str, name: str) -> Any:
        return self.states[entity_id]["attributes"].get(name)

    def set(self, entity_id: str, state: str | None = None, **attributes: Any) -> None:
        if state is not None:
            self.states[entity_id]["state"] = state
        self.states[entity_id]["attributes"].update(attributes)

    # -- the API ----------------------------------------------------------------------------
    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/api/":
            return 200, {"message": "API running."}
        if method == "GET" and path == "/api/states":
            return 200, list(self.states.values())
        if method == "GET" and path.startswith("/api/states/"):
            found = self.states.get(path.removeprefix("/api/states/"))
            return (200, found) if found else (404, {"message": "Entity not found."})
        if method == "POST" and path == "/api/template":
            if not isinstance(body, dict) or body.get("template") != AREA_TEMPLATE:
                return 400, {"message": "Error rendering template"}
            return 200, "".join(f"{e}\t{AREAS.get(e, '')}\n" for e in self.states)
        if method == "POST" and path.startswith("/api/services/"):
            domain, _, service = path.removeprefix("/api/services/").partition("/")
            return self.service(domain, service, body if isinstance(body, dict) else {})
        return 404, {"message": "Not found"}

    def service(self, domain: str, service: str, data: dict[str, Any]) -> tuple[int, Any]:
        self.calls.append((domain, service, copy.deepcopy(data)))
        targets = data.get("entity_id", [])
        targets = [targets] if isinstance(targets, str) else list(targets)
        changed = []
        for entity_id in targets:
            entity = self.states.get(entity_id)
            if entity is None:
                continue
            problem = self.apply(entity, domain, service, data)
            if problem:
                return 400, {"message": problem}
            changed.append(entity)
        return 200, changed

    def apply(self, entity: dict[str, Any], domain: str, service: str,
              data: dict[str, Any]) -> str | None:
        attributes = entity["attributes"]
        kind = entity["entity_id"].partition(".")[0]
        if domain not in (kind, "homeassistant"):
            return f"Entity {entity['entity_id']} does not support {domain}.{service}"
        if kind in ("lock", "vacuum", "scene") or service == "set_cover_position":
            return self.apply_more(entity, service, data)
        if (kind, service) == ("light", "turn_on"):
            problem = light_colour(attributes, data)
            if problem:
                return f"Entity {entity['entity_id']} {problem}"
        if service == "turn_on" and kind == "climate":
            entity["state"] = "cool"
        elif service == "turn_on":
            entity["state"] = "on"
            if "brightness_pct" in data:
                attributes["brightness"] = round(data["brightness_pct"] * 255 / 100)
            elif kind == "light" and "brightness" in attributes:
                attributes["brightness"] = attributes["brightness"] or 255
        elif service == "turn_off":
            entity["state"] = "off"
            if kind == "light" and "brightness" in attributes:
                attributes["brightness"] = None
        elif (domain, service) == ("climate", "set_temperature"):
            value = data.get("temperature")
            if not isinstance(value, int | float) or not 16 <= value <= 30:
                return f"Provided temperature {value} is not valid"
            attributes["temperature"] = value
        elif (domain, service) in (("cover", "open_cover"), ("cover", "close_cover")):
            opened = service == "open_cover"
            entity["state"] = "open" if opened else "closed"
            if "current_position" in attributes or "supported_features" not in attributes:
                attributes["current_position"] = 100 if opened else 0
        else:
            return f"Service {domain}.{service} not found"
        return None

    def apply_more(self, entity: dict[str, Any], service: str, data: dict[str, Any]) -> str | None:
        entity_id, attributes = entity["entity_id"], entity["attributes"]
        kind = entity_id.partition(".")[0]
        if kind == "cover":
            features = attributes.get("supported_features", 4 if "current_position" in attributes
                                      else 0)
            if not features & 4:
                return f"Entity {entity_id} does not support action cover.set_cover_position"
            attributes["current_position"] = data["position"]
            entity["state"] = "open" if data["position"] > 0 else "closed"
            return None
        states = {("lock", "lock"): "locked", ("lock", "unlock"): "unlocked",
                  ("vacuum", "start"): "cleaning", ("vacuum", "return_to_base"): "returning",
                  ("scene", "turn_on"): ACTIVATED}
        if (kind, service) not in states:
            return f"Service {kind}.{service} not found"
        entity["state"] = "jammed" if entity_id in self.jammed else states[kind, service]
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake._lock:
                    fake.requests.append((method, self.path))
                if fake.delay:
                    fake._released.wait(fake.delay)
                if fake.fail:
                    return self._send(fake.fail, {"message": "Internal Server Error"})
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, "401: Unauthorized")
                body = json.loads(raw) if raw else None
                with fake._lock:
                    status, answer = fake.answer(method, self.path, body)
                self._send(status, answer)

            def _send(self, status: int, answer: Any) -> None:
                text = answer if isinstance(answer, str) else json.dumps(answer,
                                                                         ensure_ascii=False)
                data = text.encode("utf-8")
                self.send_response(status)
                kind = "text/plain" if isinstance(answer, str) else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def say_to_home(home: Any, texts_and_states: list[tuple[str, str, str]],
                fake: FakeHomeAssistant, matcher: Any) -> None:
    """Each sentence through ``matcher`` (the default grammar's: the ``default_matcher``
    fixture) and the home action it names: it must perform, and leave ``entity`` in ``state``."""
    from app.actions.base import ActionRequest

    for text, entity, state in texts_and_states:
        match = matcher.match(text)
        assert match is not None and match.domain == "home", text
        action = f"home.{match.intent}"
        result = home.handlers()[action](
            ActionRequest(action, "home", match.intent, dict(match.slots), text=text))
        assert result.performed, (text, result)
        assert fake.state(entity) == state, text
