"""Smart home through Home Assistant: room temperature, lights, other devices (``home.*``).

Each handler reads the entity states (``GET /api/states``), picks the entities the room and
device words mean (``home_entities``), calls the domain's own services
(``light.turn_on`` with ``brightness_pct``, ``climate.set_temperature``, ``cover.open_cover`` …)
and replies with what it did, naming the devices as Home Assistant names them (卧室灯已打开).

Which one: a room narrows the choice (all the lights of 客厅 when it has two); without a room,
the devices the last turn touched if the command would change them (within two minutes: 调亮一点
or 关灯 after 打开卧室灯), else the devices whose state the command would change (关灯 when
only one light is on); still several →
the reply asks which (``expect_reply``) unless the text says 所有/全部/都. A dry run describes
the command from its slots and sends nothing at all.

State questions, light colours, cover positions, scenes, locks and robot vacuums live in
``home_more`` (a mixin of ``HomeActions``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from app.actions.base import ActionRequest, ActionResult, Actions, Handler
from app.actions.home_assistant import EntityState, HomeAssistantClient, HomeAssistantError
from app.actions.home_entities import (
    KINDS,
    LIGHT,
    Kind,
    brightness_pct,
    by_domain,
    clamp_temperature,
    climates,
    dimmable,
    display,
    fmt,
    ids,
    in_room,
    is_on,
    kind_of,
    names,
    of_kind,
    one_per_place,
    places,
    reading,
    service_for,
    slot_number,
    slot_text,
    switched_word,
    target_note,
)
from app.actions.home_more import MoreHomeActions
from app.config import AppSettings

RECENT_SECONDS = 120.0
ALL_WORDS = ("所有", "全部", "都", "全屋", "家里的", "全家")
Work = Callable[[list[EntityState]], ActionResult]


class _Stop(Exception):
    """Ends a handler early with ``result`` (nothing found, ask which one)."""

    def __init__(self, result: ActionResult) -> None:
        super().__init__(result.reply)
        self.result = result


class HomeActions(MoreHomeActions, Actions):
    def __init__(self, client: HomeAssistantClient, *, temperature_step: float = 1.0,
                 brightness_step: int = 20, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.temperature_step = temperature_step
        self.brightness_step = brightness_step
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: AppSettings,
                      client: HomeAssistantClient | None = None) -> HomeActions:
        return cls(client or HomeAssistantClient(settings.home_assistant_url,
                                                 settings.home_assistant_token))

    def handlers(self) -> Mapping[str, Handler]:
        return {"home.set_temperature": self.set_temperature,
                "home.temperature_up": lambda r: self.change_temperature(r, self.temperature_step),
                "home.temperature_down":
                    lambda r: self.change_temperature(r, -self.temperature_step),
                "home.temperature_query": self.temperature_query,
                "home.light_on": lambda r: self.switch(r, LIGHT, True),
                "home.light_off": lambda r: self.switch(r, LIGHT, False),
                "home.light_brightness": self.light_brightness,
                "home.light_brighter": lambda r: self.change_brightness(r, True),
                "home.light_dimmer": lambda r: self.change_brightness(r, False),
                "home.device_on": lambda r: self.device(r, True),
                "home.device_off": lambda r: self.device(r, False),
                **self.more_handlers()}

    # -- switching --------------------------------------------------------------------------
    def device(self, request: ActionRequest, on: bool) -> ActionResult:
        kind = device_kind(request)
        if kind is None:
            return ActionResult(False, reply=f"要{'打开' if on else '关闭'}哪个设备？",
                                expect_reply=True, error=f"{request.action} without a device")
        return self.switch(request, kind, on)

    def switch(self, request: ActionRequest, kind: Kind, on: bool) -> ActionResult:
        def work(states: list[EntityState]) -> ActionResult:
            found = self._select(request, of_kind(states, kind), kind.label,
                                 lambda e: is_on(e) != on, settled=True)
            live = self._live(found)
            todo = [e for e in live if is_on(e) != on]
            if not todo:
                return self._done(request, live, f"{names(live)}已经{'开' if on else '关'}着了")
            for domain, group in by_domain(todo).items():
                self._call(*service_for(domain, on), group)
            return self._done(request, live, f"{names(todo)}{switched_word(todo, on)}")

        where = slot_text(request, "room") or ""
        return self._run(request, f"{'打开' if on else '关闭'}{where}{kind.label}", work)

    # -- lights -----------------------------------------------------------------------------
    def light_brightness(self, request: ActionRequest) -> ActionResult:
        wanted = slot_number(request, "brightness")
        if wanted is None:
            return ActionResult(False, reply="亮度调到多少？", expect_reply=True,
                                error="light_brightness without a brightness")
        level = max(1, min(100, round(wanted)))

        def work(states: list[EntityState]) -> ActionResult:
            lights = self._dimmable(self._select(request, of_kind(states, LIGHT), "灯", is_on))
            self._call("light", "turn_on", lights, brightness_pct=level)
            return self._done(request, lights, f"{names(lights)}亮度已调到{level}%")

        where = slot_text(request, "room") or ""
        return self._run(request, f"把{where}灯的亮度调到{level}%", work)

    def change_brightness(self, request: ActionRequest, up: bool) -> ActionResult:
        to_max = up and "最亮" in request.text

        def work(states: list[EntityState]) -> ActionResult:
            lights = self._dimmable(self._select(request, of_kind(states, LIGHT), "灯", is_on))
            said: list[str] = []
            done: list[EntityState] = []
            for light in lights:
                said.append(self._step_light(light, up, to_max))
                done += [light] if up or is_on(light) else []
            if not done:
                raise _Stop(ActionResult.failed("，".join(said), "the lights are off"))
            return self._done(request, done, "，".join(said))

        where = slot_text(request, "room") or ""
        how = "调到最亮" if to_max else f"调{'亮' if up else '暗'}{self.brightness_step}%"
        return self._run(request, f"把{where}灯{how}", work)

    def _step_light(self, light: EntityState, up: bool, to_max: bool) -> str:
        name = display(light)
        if not is_on(light):
            if not up:
                return f"{name}是关着的"
            self._call("light", "turn_on", [light])
            return f"已打开{name}"
        before = brightness_pct(light)
        target = 100 if to_max else max(1, min(100, before + (1 if up else -1) *
                                                self.brightness_step))
        if target == before:
            return f"{name}已经是最{'亮' if up else '暗'}了"
        changed = self._call("light", "turn_on", [light], brightness_pct=target)
        after = next((brightness_pct(s) for s in changed if s.entity_id == light.entity_id),
                     target)
        return f"{name}亮度已调到{after}%"

    def _dimmable(self, lights: list[EntityState]) -> list[EntityState]:
        usable = [e for e in lights if dimmable(e)]
        if not usable:
            raise _Stop(ActionResult.failed(f"{names(lights)}不能调亮度",
                                            f"not dimmable: {ids(lights)}"))
        return usable

    # -- temperature ------------------------------------------------------------------------
    def set_temperature(self, request: ActionRequest) -> ActionResult:
        wanted = slot_number(request, "temperature")
        if wanted is None:
            return ActionResult(False, reply="温度调到多少度？", expect_reply=True,
                                error="set_temperature without a temperature")

        def work(states: list[EntityState]) -> ActionResult:
            said = []
            units = self._select(request, climates(states), "空调", lambda e: e.state != "off")
            for unit in units:
                target, note = clamp_temperature(unit, wanted)
                opened = unit.state == "off"
                if opened:
                    self._call("climate", "turn_on", [unit])
                self._call("climate", "set_temperature", [unit], temperature=target)
                said.append(f"已打开{display(unit)}，温度设为{fmt(target)}度" if opened
                            else f"{note}{display(unit)}已调到{fmt(target)}度")
            return self._done(request, units, "；".join(said), temperature=wanted)

        where = slot_text(request, "room") or ""
        return self._run(request, f"把{where}空调调到{fmt(wanted)}度", work)

    def change_temperature(self, request: ActionRequest, delta: float) -> ActionResult:
        word = "高" if delta > 0 else "低"

        def work(states: list[EntityState]) -> ActionResult:
            said: list[str] = []
            done: list[EntityState] = []
            units = self._select(request, climates(states), "空调", lambda e: e.state != "off")
            for unit in units:
                before = unit.number("temperature")
                if unit.state == "off" or before is None:
                    why = "关着" if unit.state == "off" else "没有设定温度"
                    said.append(f"{display(unit)}现在{why}，可以说“{display(unit)}调到26度”")
                    continue
                target, _ = clamp_temperature(unit, before + delta)
                done.append(unit)
                if target == before:
                    said.append(f"{display(unit)}已经是最{word}温度（{fmt(before)}度）了")
                    continue
                self._call("climate", "set_temperature", [unit], temperature=target)
                said.append(f"{display(unit)}已从{fmt(before)}度调{word}到{fmt(target)}度")
            if not done:
                raise _Stop(ActionResult.failed("；".join(said), "no target temperature to change"))
            return self._done(request, done, "；".join(said))

        where = slot_text(request, "room") or ""
        return self._run(request, f"把{where}空调温度调{word}{fmt(abs(delta))}度", work)

    def temperature_query(self, request: ActionRequest) -> ActionResult:
        room = slot_text(request, "room")

        def work(states: list[EntityState]) -> ActionResult:
            pool = [e for e in states if reading(e) is not None]
            if not pool:
                raise _Stop(ActionResult.failed("Home Assistant里没有找到温度计或空调",
                                                "no temperature sensor or climate entity"))
            found = in_room(pool, room) if room else pool
            if not found:
                raise _Stop(ActionResult.failed(f"没有找到{room}的温度，有{places(pool)}的",
                                                f"no temperature reading in {room}"))
            per_place = one_per_place(found, room)
            said = [f"{place}现在{fmt(reading(e) or 0)}度{target_note(e)}"
                    for place, e in per_place.items()]
            return self._done(request, list(per_place.values()), "，".join(said[:6]))

        return self._run(request, f"查询{room or '室内'}温度", work)

    # -- plumbing ---------------------------------------------------------------------------
    def _run(self, request: ActionRequest, description: str, work: Work) -> ActionResult:
        if request.dry_run:
            return ActionResult.dry(description)
        try:
            return work(self.client.states())
        except _Stop as stop:
            return stop.result
        except HomeAssistantError as error:
            return ActionResult.failed(error.reason, str(error))

    def _select(self, request: ActionRequest, pool: list[EntityState], label: str,
                changes: Callable[[EntityState], bool],
                settled: bool = False) -> list[EntityState]:
        """The entities meant (see the module's docstring), or ``_Stop`` with the reply."""
        if not pool:
            raise _Stop(ActionResult.failed(f"Home Assistant里没有找到{label}",
                                            f"no entity for {label!r}"))
        room = slot_text(request, "room")
        if room:
            found = in_room(pool, room)
            if not found:
                raise _Stop(ActionResult.failed(f"没有找到{room}的{label}，有{names(pool)}",
                                                f"no {label!r} in {room!r}: {ids(pool)}"))
            return found
        recent = [e for e in self._recent(request, pool) if changes(e)]
        if recent or len(pool) <= 1 or any(word in request.text for word in ALL_WORDS):
            return recent or pool
        found = [e for e in pool if changes(e)]
        if not found and settled:
            return pool  # 开灯 with every light on: the reply says they are
        found = found or pool
        if len(found) > 1:
            raise _Stop(ActionResult(False, reply=f"哪个{label}？{names(found, '还是')}？",
                                     expect_reply=True, error=f"which one of {ids(found)}",
                                     context={"choices": ids(found), "time": self.clock()}))
        return found

    def _recent(self, request: ActionRequest, pool: list[EntityState]) -> list[EntityState]:
        last, when = request.context.get("entity_ids"), request.context.get("time")
        if not isinstance(last, list | tuple) or not isinstance(when, int | float):
            return []
        if self.clock() - when > RECENT_SECONDS:
            return []
        return [e for e in pool if e.entity_id in last]

    def _fail(self, reply: str, error: str) -> NoReturn:
        raise _Stop(ActionResult.failed(reply, error))

    def _call(self, domain: str, service: str, entities: Sequence[EntityState],
              **data: Any) -> list[EntityState]:
        targets = ids(entities)
        return self.client.call(domain, service,
                                {"entity_id": targets[0] if len(targets) == 1 else targets,
                                 **data})

    def _done(self, request: ActionRequest, entities: Sequence[EntityState], reply: str,
              **values: object) -> ActionResult:
        room = slot_text(request, "room") or ""
        return ActionResult(True, reply=reply, values={"room": room, **values},
                            context={"entity_ids": ids(entities), "room": room,
                                     "time": self.clock()})


# -- small helpers ---------------------------------------------------------------------------
def device_kind(request: ActionRequest) -> Kind | None:
    """The ``device`` slot's kind; without one, a device word in the text (拉开窗帘)."""
    device = slot_text(request, "device")
    if device:
        return kind_of(device)
    for word in sorted(KINDS, key=len, reverse=True):
        if word in request.text:
            return KINDS[word]
    return None
