"""More of the smart home: state questions, light colours, cover positions, scenes, locks and
robot vacuums (``home.state_query`` … ``home.vacuum_dock``).

``MoreHomeActions`` is a mixin of ``HomeActions`` and uses its plumbing: ``_run`` reads the states
(a dry run only describes and sends nothing), ``_select`` picks the entities meant or asks which,
``_call`` calls a service, ``_done`` replies and remembers the entities for a follow-up, ``_fail``
ends the handler with a reply. Only Home Assistant's own services: ``light.turn_on`` with
``rgb_color``, ``color_temp_kelvin`` or an ``effect`` (彩色), ``cover.set_cover_position``
(``open_cover`` / ``close_cover`` for a cover without positions), ``scene.turn_on``,
``lock.lock`` / ``lock.unlock``, ``vacuum.start`` / ``vacuum.return_to_base``. A state question
changes nothing. Core ``vacuum.start`` cleans wherever the robot plans to: a room is not sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from app.actions.base import ActionRequest, ActionResult, Handler
from app.actions.home_assistant import EntityState
from app.actions.home_entities import (
    LIGHT,
    LOCK_WORDS,
    can_colour,
    can_position,
    can_white,
    covers,
    display,
    has_word,
    ids,
    in_room,
    is_on,
    kelvin_for,
    locks,
    named,
    names,
    of_kind,
    position,
    slot_number,
    slot_text,
    state_text,
    text_of,
    things,
)

MAX_SAID = 6
ROOM_NOTE = "；Home Assistant的“开始清扫”不能指定房间，它会按自己的计划清扫，不只是{room}"
RGB: dict[str, tuple[int, int, int]] = {
    "红色": (255, 0, 0), "橙色": (255, 128, 0), "黄色": (255, 230, 0), "绿色": (0, 255, 0),
    "青色": (0, 255, 255), "蓝色": (0, 0, 255), "紫色": (140, 0, 255), "粉色": (255, 105, 180),
    "金色": (255, 200, 0), "玫红色": (255, 0, 128), "天蓝色": (135, 206, 235)}
# Whites as a colour temperature, and the same white in RGB for lights without one.
WHITES: dict[str, tuple[int, tuple[int, int, int]]] = {
    "白色": (4000, (255, 209, 163)), "暖白色": (3000, (255, 180, 107)),
    "冷白色": (6000, (255, 243, 239)), "暖黄色": (2700, (255, 169, 87))}
RAINBOW = "彩色"
RAINBOW_EFFECTS = ("colorloop", "color loop", "rainbow", "彩虹", "七彩", "炫彩", "colorful")
# Scene words: the Chinese ones a name may use besides the list's value, then English ones.
SCENES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "回家": (("到家", "归家"), ("home", "arrive", "arrival", "welcome")),
    "离家": (("外出", "出门", "离开"), ("away", "leave", "leaving")),
    "睡眠": (("睡觉", "晚安", "就寝"), ("sleep", "bedtime", "good night")),
    "起床": (("早安", "唤醒"), ("wake", "wake up", "morning", "good morning")),
    "观影": (("影院", "电影", "影音"), ("movie", "cinema", "theater", "theatre", "film")),
    "会客": (("待客", "客人"), ("guest", "guests", "visitor", "visitors")),
    "阅读": (("看书", "读书"), ("reading", "read")),
    "用餐": (("就餐", "吃饭", "晚餐"), ("dinner", "dining", "meal")),
    "浪漫": ((), ("romantic", "romance")),
    "派对": (("聚会",), ("party",)),
    "夜灯": (("起夜",), ("night light", "nightlight", "night")),
    "全关": (("全部关闭", "关闭所有"), ("all off", "everything off", "off")),
}
Work = Callable[[list[EntityState]], ActionResult]


class MoreHomeActions:
    """The handlers; ``HomeActions`` supplies the plumbing below."""

    def more_handlers(self) -> Mapping[str, Handler]:
        return {"home.state_query": self.state_query,
                "home.light_color": self.light_color,
                "home.cover_position": self.cover_position,
                "home.scene": self.scene,
                "home.lock": lambda r: self.lock(r, True),
                "home.unlock": lambda r: self.lock(r, False),
                "home.vacuum_start": lambda r: self.vacuum(r, True),
                "home.vacuum_dock": lambda r: self.vacuum(r, False)}

    # -- states -----------------------------------------------------------------------------
    def state_query(self, request: ActionRequest) -> ActionResult:
        thing, room = slot_text(request, "device"), slot_text(request, "room")
        if thing is None:
            return ActionResult(False, reply="要查哪个设备的状态？", expect_reply=True,
                                error="state_query without a device")

        def work(states: list[EntityState]) -> ActionResult:
            pool = things(states, thing)
            if not pool:
                self._fail(f"Home Assistant里没有找到{thing}", f"no entity for {thing!r}")
            found = in_room(pool, room) if room else pool
            if not found:
                self._fail(f"没有找到{room}的{thing}，有{names(pool)}",
                           f"no {thing!r} in {room!r}: {ids(pool)}")
            said = [state_text(e) for e in found[:MAX_SAID]]
            more = f"；还有{len(found) - MAX_SAID}个没说" if len(found) > MAX_SAID else ""
            return self._done(request, found, "；".join(said) + more)

        return self._run(request, f"查询{room or ''}{thing}的状态", work)

    # -- light colours ----------------------------------------------------------------------
    def light_color(self, request: ActionRequest) -> ActionResult:
        colour = slot_text(request, "color")
        if colour is None:
            return ActionResult(False, reply="换成什么颜色？", expect_reply=True,
                                error="light_color without a color")
        if colour not in RGB and colour not in WHITES and colour != RAINBOW:
            return ActionResult.failed(f"不认识“{colour}”这个颜色，可以说红色、蓝色、暖白色",
                                       f"unknown colour {colour!r}")

        def work(states: list[EntityState]) -> ActionResult:
            lights = self._select(request, of_kind(states, LIGHT), "灯", is_on)
            plan = [(light, colour_data(light, colour)) for light in lights]
            cannot = [light for light, data in plan if data is None]
            why = "没有七彩变换的灯效" if colour == RAINBOW else "不能调颜色"
            done = [light for light, data in plan if data is not None]
            if not done:
                self._fail(f"{names(cannot)}{why}", f"no colour {colour!r} for {ids(cannot)}")
            for light, data in plan:
                if data is not None:
                    self._call("light", "turn_on", [light], **data)
            note = f"；{names(cannot)}{why}" if cannot else ""
            return self._done(request, done, f"{names(done)}已换成{colour}{note}", color=colour)

        where = slot_text(request, "room") or ""
        return self._run(request, f"把{where}灯换成{colour}", work)

    # -- covers -----------------------------------------------------------------------------
    def cover_position(self, request: ActionRequest) -> ActionResult:
        wanted = slot_number(request, "position")
        device = slot_text(request, "device") or "窗帘"
        if wanted is None:
            return ActionResult(False, reply=f"{device}开到多少？", expect_reply=True,
                                error="cover_position without a position")
        target = max(0, min(100, round(wanted)))

        def work(states: list[EntityState]) -> ActionResult:
            found = self._select(request, covers(states, device), device,
                                 lambda e: position(e) != target)
            live = self._live(found)
            exact = [e for e in live if can_position(e)]
            rough = [e for e in live if not can_position(e)]
            said = []
            if exact:
                self._call("cover", "set_cover_position", exact, position=target)
                said.append(f"{names(exact)}{position_word(target)}")
            if rough:
                opened = target >= 50
                self._call("cover", "open_cover" if opened else "close_cover", rough)
                said.append(f"{names(rough)}不能调到{target}%，已{'打开' if opened else '关上'}")
            return self._done(request, live, "；".join(said), position=target)

        where = slot_text(request, "room") or ""
        return self._run(request, f"把{where}{device}开到{target}%", work)

    # -- scenes -----------------------------------------------------------------------------
    def scene(self, request: ActionRequest) -> ActionResult:
        wanted = slot_text(request, "scene")
        if wanted is None:
            return ActionResult(False, reply="开启哪个场景？", expect_reply=True,
                                error="scene without a scene")

        def work(states: list[EntityState]) -> ActionResult:
            scenes = [e for e in states if e.domain == "scene"]
            if not scenes:
                self._fail(f"Home Assistant里还没有场景，请先在Home Assistant里创建“{wanted}”",
                           "no scene entities")
            found = scenes_named(scenes, wanted)
            if not found:
                self._fail(f"没有找到{wanted}，Home Assistant里的场景有{names(scenes[:8])}",
                           f"no scene for {wanted!r}: {ids(scenes)}")
            chosen = self._select(request, found, "场景", lambda e: True)
            self._call("scene", "turn_on", chosen)
            return self._done(request, chosen, f"{names(chosen)}已开启", scene=wanted)

        return self._run(request, f"开启{wanted}", work)

    # -- locks ------------------------------------------------------------------------------
    def lock(self, request: ActionRequest, locked: bool) -> ActionResult:
        device = slot_text(request, "device") or "门锁"
        want, verb = ("locked", "上锁") if locked else ("unlocked", "解锁")

        def work(states: list[EntityState]) -> ActionResult:
            pool = locks(states) if device in LOCK_WORDS else named(locks(states), device)
            if not pool and locks(states):
                self._fail(f"没有找到{device}的锁，有{names(locks(states))}",
                           f"no lock named {device!r}: {ids(locks(states))}")
            every = locked and device in LOCK_WORDS and not slot_text(request, "room")
            found = pool if every and pool else self._select(request, pool, "门锁",
                                                             lambda e: e.state != want)
            live = self._live(found)
            todo = [e for e in live if e.state != want]
            if not todo:
                return self._done(request, live, f"{names(live)}已经{verb}了")
            changed = self._call("lock", "lock" if locked else "unlock", todo)
            after = {e.entity_id: e.state for e in changed}
            done = [e for e in todo if after.get(e.entity_id, want) == want]
            said = [f"{names(done)}已{verb}"] if done else []
            said += [lock_trouble(e, after[e.entity_id], verb) for e in todo if e not in done]
            reply = "；".join(said)
            if not done:
                self._fail(reply, f"{verb} failed: {after}")
            return self._done(request, done, reply)

        where = slot_text(request, "room") or ""
        return self._run(request, f"{'锁上' if locked else '解锁'}{where}{device}", work)

    # -- robot vacuums ----------------------------------------------------------------------
    def vacuum(self, request: ActionRequest, start: bool) -> ActionResult:
        room = slot_text(request, "room")  # where to clean, not where the robot is

        def changes(e: EntityState) -> bool:
            return e.state != "cleaning" if start else e.state not in ("docked", "returning")

        def work(states: list[EntityState]) -> ActionResult:
            anywhere = dataclasses.replace(request, slots={k: v for k, v in request.slots.items()
                                                           if k != "room"})
            pool = [e for e in states if e.domain == "vacuum"]
            live = self._live(self._select(anywhere, pool, "扫地机器人", changes))
            todo = [e for e in live if changes(e)]
            if not todo:
                return self._done(request, live, "；".join(vacuum_already(e) for e in live))
            self._call("vacuum", "start" if start else "return_to_base", todo)
            reply = f"{names(todo)}{'已开始清扫' if start else '已回去充电'}"
            if start and room:
                reply += ROOM_NOTE.format(room=room)
            return self._done(request, todo, reply)

        what = f"开始清扫{room or ''}" if start else "回去充电"
        return self._run(request, f"让扫地机器人{what}", work)

    def _live(self, found: list[EntityState]) -> list[EntityState]:
        live = [e for e in found if e.state != "unavailable"]
        if not live:
            self._fail(f"{names(found)}现在连不上", f"unavailable: {ids(found)}")
        return live

    # -- the plumbing HomeActions supplies --------------------------------------------------
    def _run(self, request: ActionRequest, description: str, work: Work) -> ActionResult:
        raise NotImplementedError

    def _select(self, request: ActionRequest, pool: list[EntityState], label: str,
                changes: Callable[[EntityState], bool],
                settled: bool = False) -> list[EntityState]:
        raise NotImplementedError

    def _call(self, domain: str, service: str, entities: Sequence[EntityState],
              **data: Any) -> list[EntityState]:
        raise NotImplementedError

    def _done(self, request: ActionRequest, entities: Sequence[EntityState], reply: str,
              **values: object) -> ActionResult:
        raise NotImplementedError

    def _fail(self, reply: str, error: str) -> NoReturn:
        raise NotImplementedError


# -- small helpers ---------------------------------------------------------------------------
def colour_data(light: EntityState, colour: str) -> dict[str, Any] | None:
    """``light.turn_on`` data for a colour word; None when the light cannot show it."""
    if colour in WHITES:
        kelvin, rgb = WHITES[colour]
        if can_white(light):
            return {"color_temp_kelvin": kelvin_for(light, kelvin)}
        return {"rgb_color": list(rgb)} if can_colour(light) else None
    if colour in RGB:
        return {"rgb_color": list(RGB[colour])} if can_colour(light) else None
    effects = light.attributes.get("effect_list")
    if not isinstance(effects, list):
        return None
    effect = next((str(e) for e in effects if str(e).lower().replace("_", " ")
                   in RAINBOW_EFFECTS), None)
    return {"effect": effect} if effect else None


def position_word(target: int) -> str:
    if target == 0:
        return "已关上"
    return "已完全打开" if target == 100 else f"已开到{target}%"


def scenes_named(scenes: Sequence[EntityState], wanted: str) -> list[EntityState]:
    """观影模式: a name with 观影模式 or 观影, then 影院 or 电影, then ``movie`` or ``cinema``."""
    base = wanted.removesuffix("模式").removesuffix("场景") or wanted
    chinese, english = SCENES.get(base, ((), ()))
    for words in ((wanted, base), chinese, english):
        found = [e for e in scenes if words and has_word(text_of(e), words)]
        if found:
            return found
    return []


def lock_trouble(entity: EntityState, state: str, verb: str) -> str:
    if state == "jammed":
        return f"{display(entity)}卡住了，没能{verb}"
    if state in ("locking", "unlocking"):
        return f"{display(entity)}正在{verb}"
    return f"{display(entity)}没有{verb}，现在是{state}"


def vacuum_already(entity: EntityState) -> str:
    where = {"cleaning": "在清扫了", "returning": "在回充电座了"}.get(entity.state, "在充电座上了")
    return f"{display(entity)}已经{where}"
