"""State questions, light colours, cover positions, scenes, locks and robot vacuums against the
bigger house of the fake Home Assistant on 127.0.0.1 (tests/fake_home_assistant.py, more=True):
each handler must change the fake's states through the REST API (a question changes nothing),
and say what it did."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fake_home_assistant import ACTIVATED, TOKEN, FakeHomeAssistant, say_to_home

from app.actions.base import ActionRequest, ActionResult
from app.actions.home import HomeActions
from app.actions.home_assistant import HomeAssistantClient

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"


@pytest.fixture
def fake() -> Iterator[FakeHomeAssistant]:
    server = FakeHomeAssistant(more=True)
    yield server
    server.close()


@pytest.fixture
def home(fake: FakeHomeAssistant) -> HomeActions:
    return HomeActions(HomeAssistantClient(fake.url, TOKEN))


def act(actions: HomeActions, action: str, slots: Mapping[str, object] | None = None,
        text: str = "", dry_run: bool = False) -> ActionResult:
    request = ActionRequest(f"home.{action}", "home", action, slots or {}, text=text,
                            dry_run=dry_run)
    return actions.handlers()[request.action](request)


@pytest.fixture
def small() -> Iterator[tuple[HomeActions, FakeHomeAssistant]]:
    """The small house: no scenes, locks or vacuums."""
    server = FakeHomeAssistant()
    yield HomeActions(HomeAssistantClient(server.url, TOKEN)), server
    server.close()


# -- state questions -------------------------------------------------------------------------
@pytest.mark.parametrize(("slots", "reply"), [
    ({"room": "客厅", "device": "灯"}, "客厅灯开着，亮度50%；客厅灯带开着，亮度60%"),
    ({"room": "书房", "device": "灯"}, "书房台灯关着"),
    ({"device": "大门"}, "大门已上锁"),
    ({"device": "后门"}, "后门没有上锁"),
    ({"device": "门"}, "大门已上锁；后门没有上锁；车库门关着"),
    ({"device": "门锁"}, "大门已上锁；后门没有上锁"),
    ({"device": "窗户"}, "卧室窗户开着"),
    ({"room": "客厅", "device": "窗帘"}, "客厅窗帘开着（70%）"),
    ({"room": "卧室", "device": "窗帘"}, "卧室窗帘关着"),
    ({"device": "扫地机器人"}, "扫地机器人在充电座上"),
    ({"device": "空调"}, "客厅空调开着（制冷，设定26度）"),
    ({"device": "风扇"}, "书房风扇关着"),
])
def test_state_questions(home: HomeActions, fake: FakeHomeAssistant, slots: dict[str, object],
                         reply: str) -> None:
    result = act(home, "state_query", slots)
    assert result.performed and result.reply == reply
    assert fake.calls == []


def test_state_of_a_garage_door_is_not_a_curtain(home: HomeActions,
                                                 fake: FakeHomeAssistant) -> None:
    assert act(home, "state_query", {"device": "车库门"}).reply == "车库门关着；车库门关着"
    curtains = act(home, "state_query", {"device": "窗帘"}).reply
    assert curtains == "卧室窗帘关着；客厅窗帘开着（70%）；书房百叶窗关着"


def test_state_that_changes_and_unavailable(home: HomeActions, fake: FakeHomeAssistant) -> None:
    fake.set("vacuum.roborock", "cleaning")
    fake.set("lock.front_door", "jammed")
    fake.set("light.desk_lamp", "unavailable")
    assert act(home, "state_query", {"device": "扫地机器人"}).reply == "扫地机器人正在清扫"
    assert act(home, "state_query", {"device": "大门"}).reply == "大门卡住了"
    assert act(home, "state_query", {"room": "书房", "device": "灯"}).reply == "书房台灯现在连不上"


def test_state_of_many_lists_six(home: HomeActions, fake: FakeHomeAssistant) -> None:
    for n in range(5):
        fake.states[f"light.extra_{n}"] = {"entity_id": f"light.extra_{n}", "state": "off",
                                           "attributes": {"friendly_name": f"灯{n}"}}
    reply = act(home, "state_query", {"device": "灯"}).reply
    assert reply is not None and reply.count("；") == 6 and reply.endswith("还有4个没说")


def test_state_of_what_is_not_there(home: HomeActions, fake: FakeHomeAssistant) -> None:
    tv = act(home, "state_query", {"device": "电视"})
    assert not tv.performed and tv.reply == "Home Assistant里没有找到电视"
    kitchen = act(home, "state_query", {"room": "厨房", "device": "窗帘"})
    assert kitchen.reply == "没有找到厨房的窗帘，有卧室窗帘、客厅窗帘和书房百叶窗"
    assert act(home, "state_query").expect_reply
    assert fake.calls == []


# -- light colours ---------------------------------------------------------------------------
def test_colour_in_a_room(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_color", {"room": "客厅", "color": "红色"})
    assert result.performed and result.reply == "客厅灯和客厅灯带已换成红色"
    assert fake.calls == [
        ("light", "turn_on", {"entity_id": "light.living_room", "rgb_color": [255, 0, 0]}),
        ("light", "turn_on", {"entity_id": "light.living_room_strip", "rgb_color": [255, 0, 0]})]
    assert fake.attribute("light.living_room_strip", "rgb_color") == [255, 0, 0]


def test_whites_are_a_colour_temperature_where_the_light_has_one(
        home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "light_color", {"room": "客厅", "color": "暖白色"}).performed
    assert fake.attribute("light.living_room", "color_temp_kelvin") == 3000
    assert fake.attribute("light.living_room_strip", "rgb_color") == [255, 180, 107]
    fake.set("light.living_room", min_color_temp_kelvin=2200, max_color_temp_kelvin=5000)
    assert act(home, "light_color", {"room": "客厅", "color": "冷白色"}).performed
    assert fake.attribute("light.living_room", "color_temp_kelvin") == 5000


def test_colour_turns_an_off_light_on(home: HomeActions, fake: FakeHomeAssistant) -> None:
    fake.set("light.living_room_strip", "off")
    assert act(home, "light_color", {"room": "客厅", "color": "蓝色"}).performed
    assert fake.state("light.living_room_strip") == "on"


def test_lights_that_cannot_change_colour(home: HomeActions, fake: FakeHomeAssistant) -> None:
    balcony = act(home, "light_color", {"room": "阳台", "color": "蓝色"})
    assert not balcony.performed and balcony.reply == "阳台灯不能调颜色"
    bedroom = act(home, "light_color", {"room": "卧室", "color": "白色"})
    assert not bedroom.performed and bedroom.reply == "卧室灯不能调颜色"
    assert fake.calls == []


def test_rainbow_needs_an_effect(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_color", {"room": "客厅", "color": "彩色"})
    assert result.performed and result.reply == "客厅灯带已换成彩色；客厅灯没有七彩变换的灯效"
    assert fake.attribute("light.living_room_strip", "effect") == "colorloop"


def test_colour_asks_and_refuses(home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "light_color", {"room": "客厅"}).expect_reply
    which = act(home, "light_color", {"color": "绿色"}, text="灯换成绿色")
    assert which.expect_reply and which.reply == "哪个灯？客厅灯还是客厅灯带？"
    odd = act(home, "light_color", {"color": "格子"})
    assert not odd.performed and odd.reply == "不认识“格子”这个颜色，可以说红色、蓝色、暖白色"
    assert fake.calls == []


# -- covers ----------------------------------------------------------------------------------
def test_cover_position(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "cover_position", {"room": "客厅", "device": "窗帘", "position": 30})
    assert result.performed and result.reply == "客厅窗帘已开到30%"
    assert fake.calls == [("cover", "set_cover_position",
                           {"entity_id": "cover.living_room_curtain", "position": 30})]
    assert fake.attribute("cover.living_room_curtain", "current_position") == 30
    assert act(home, "cover_position", {"room": "客厅", "position": 0}).reply == "客厅窗帘已关上"
    assert fake.state("cover.living_room_curtain") == "closed"


def test_a_cover_without_positions_opens_or_closes(home: HomeActions,
                                                  fake: FakeHomeAssistant) -> None:
    opened = act(home, "cover_position", {"room": "书房", "device": "百叶窗", "position": 80})
    assert opened.performed and opened.reply == "书房百叶窗不能调到80%，已打开"
    assert fake.calls == [("cover", "open_cover", {"entity_id": "cover.study_blind"})]
    assert fake.state("cover.study_blind") == "open"
    closed = act(home, "cover_position", {"room": "书房", "device": "百叶窗", "position": 20})
    assert closed.reply == "书房百叶窗不能调到20%，已关上"
    assert fake.state("cover.study_blind") == "closed"


def test_a_curtain_word_falls_back_to_any_curtain(home: HomeActions,
                                                 fake: FakeHomeAssistant) -> None:
    result = act(home, "cover_position", {"room": "卧室", "device": "遮光帘", "position": 50})
    assert result.performed and result.reply == "卧室窗帘已开到50%"
    assert fake.attribute("cover.bedroom_curtain", "current_position") == 50


def test_cover_position_asks(home: HomeActions, fake: FakeHomeAssistant) -> None:
    which = act(home, "cover_position", {"device": "窗帘", "position": 50})
    assert which.expect_reply and which.reply == "哪个窗帘？卧室窗帘、客厅窗帘还是书房百叶窗？"
    assert act(home, "cover_position", {"device": "窗帘"}).expect_reply
    assert fake.calls == []


# -- scenes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("scene", "entity_id", "reply"), [
    ("观影模式", "scene.movie", "Movie Time已开启"),  # through the English word table
    ("睡眠模式", "scene.sleep", "睡眠模式已开启"),
    ("回家模式", "scene.arrive", "回家已开启"),  # without 模式
])
def test_scenes(home: HomeActions, fake: FakeHomeAssistant, scene: str, entity_id: str,
                reply: str) -> None:
    result = act(home, "scene", {"scene": scene})
    assert result.performed and result.reply == reply
    assert fake.calls == [("scene", "turn_on", {"entity_id": entity_id})]
    assert fake.state(entity_id) == ACTIVATED


def test_a_scene_that_is_not_there(home: HomeActions, fake: FakeHomeAssistant,
                                   small: tuple[HomeActions, FakeHomeAssistant]) -> None:
    party = act(home, "scene", {"scene": "派对模式"})
    assert not party.performed
    assert party.reply == "没有找到派对模式，Home Assistant里的场景有Movie Time、睡眠模式和回家"
    none = act(small[0], "scene", {"scene": "派对模式"})
    assert none.reply == "Home Assistant里还没有场景，请先在Home Assistant里创建“派对模式”"
    assert fake.calls == [] and small[1].calls == []


# -- locks -----------------------------------------------------------------------------------
def test_lock_every_lock(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "lock", {"device": "门锁"})
    assert result.performed and result.reply == "后门已上锁"
    assert fake.calls == [("lock", "lock", {"entity_id": "lock.back_door"})]
    assert fake.state("lock.back_door") == "locked"
    again = act(home, "lock", {"device": "大门"})
    assert again.performed and again.reply == "大门已经上锁了"
    assert len(fake.calls) == 1


def test_unlock_by_name(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "unlock", {"device": "前门"})
    assert result.performed and result.reply == "大门已解锁"
    assert fake.calls == [("lock", "unlock", {"entity_id": "lock.front_door"})]
    assert fake.state("lock.front_door") == "unlocked"


def test_unlock_asks_which(home: HomeActions, fake: FakeHomeAssistant) -> None:
    fake.set("lock.back_door", "locked")
    which = act(home, "unlock", {"device": "门锁"})
    assert which.expect_reply and which.reply == "哪个门锁？大门还是后门？"
    side = act(home, "unlock", {"device": "侧门"})
    assert not side.performed and side.reply == "没有找到侧门的锁，有大门和后门"
    assert fake.calls == []


def test_a_jammed_lock(home: HomeActions, fake: FakeHomeAssistant) -> None:
    fake.jammed.add("lock.back_door")
    result = act(home, "lock", {"device": "后门"})
    assert not result.performed and result.reply == "后门卡住了，没能上锁"
    assert fake.state("lock.back_door") == "jammed"


# -- robot vacuums ---------------------------------------------------------------------------
def test_vacuum_start_and_dock(home: HomeActions, fake: FakeHomeAssistant) -> None:
    start = act(home, "vacuum_start")
    assert start.performed and start.reply == "扫地机器人已开始清扫"
    assert fake.state("vacuum.roborock") == "cleaning"
    assert act(home, "vacuum_start").reply == "扫地机器人已经在清扫了"
    dock = act(home, "vacuum_dock")
    assert dock.performed and dock.reply == "扫地机器人已回去充电"
    assert fake.state("vacuum.roborock") == "returning"
    assert act(home, "vacuum_dock").reply == "扫地机器人已经在回充电座了"
    assert [c[:2] for c in fake.calls] == [("vacuum", "start"), ("vacuum", "return_to_base")]


def test_vacuum_with_a_room_says_it_cleans_everywhere(home: HomeActions,
                                                     fake: FakeHomeAssistant) -> None:
    result = act(home, "vacuum_start", {"room": "客厅"})
    assert result.performed and result.reply is not None
    assert result.reply.startswith("扫地机器人已开始清扫；") and "不能指定房间" in result.reply
    assert fake.calls == [("vacuum", "start", {"entity_id": "vacuum.roborock"})]


def test_no_vacuum(small: tuple[HomeActions, FakeHomeAssistant]) -> None:
    result = act(small[0], "vacuum_dock")
    assert not result.performed and result.reply == "Home Assistant里没有找到扫地机器人"


# -- the grammar's sentences and dry runs ----------------------------------------------------
def test_sentences_of_the_default_grammar(home: HomeActions, fake: FakeHomeAssistant,
                                         default_matcher: Any) -> None:
    say_to_home(home, [("客厅灯换成蓝色的", "light.living_room_strip", "on"),
                       ("把卧室窗帘打开百分之三十", "cover.bedroom_curtain", "open"),
                       ("打开回家模式", "scene.arrive", ACTIVATED),
                       ("把门锁上", "lock.back_door", "locked"),
                       ("解锁前门", "lock.front_door", "unlocked"),
                       ("打扫一下客厅", "vacuum.roborock", "cleaning"),
                       ("扫地机器人回去充电", "vacuum.roborock", "returning"),
                       ("书房的灯开着吗", "light.desk_lamp", "off")], fake, default_matcher)
    assert fake.attribute("light.living_room_strip", "rgb_color") == [0, 0, 255]
    assert fake.attribute("cover.bedroom_curtain", "current_position") == 30


@pytest.mark.parametrize(("action", "slots", "description"), [
    ("state_query", {"room": "书房", "device": "灯"}, "查询书房灯的状态"),
    ("light_color", {"room": "客厅", "color": "红色"}, "把客厅灯换成红色"),
    ("cover_position", {"device": "窗帘", "position": 50}, "把窗帘开到50%"),
    ("scene", {"scene": "观影模式"}, "开启观影模式"),
    ("lock", {"device": "大门"}, "锁上大门"),
    ("unlock", {"device": "门锁"}, "解锁门锁"),
    ("vacuum_start", {"room": "客厅"}, "让扫地机器人开始清扫客厅"),
    ("vacuum_dock", {}, "让扫地机器人回去充电"),
])
def test_a_dry_run_sends_nothing(home: HomeActions, fake: FakeHomeAssistant, action: str,
                                 slots: dict[str, object], description: str) -> None:
    result = act(home, action, slots, dry_run=True)
    assert not result.performed and result.description == description
    assert fake.requests == []
