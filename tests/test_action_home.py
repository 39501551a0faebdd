"""Smart-home actions against a fake Home Assistant on 127.0.0.1 (tests/fake_home_assistant.py):
each handler must change the fake's states through the REST API, and say so."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fake_home_assistant import TOKEN, FakeHomeAssistant, say_to_home

from app.actions.base import ActionRequest, ActionResult
from app.actions.home import HomeActions
from app.actions.home_assistant import EntityState, HomeAssistantClient, normalise_url
from app.actions.home_entities import display, in_room, kind_of, of_kind, room_of
from app.config import AppSettings
from intents.grammar import load_grammar

GRAMMAR = Path(__file__).resolve().parent.parent / "resources" / "grammar" / "zh-CN"


@pytest.fixture
def fake() -> Iterator[FakeHomeAssistant]:
    server = FakeHomeAssistant()
    yield server
    server.close()


@pytest.fixture
def home(fake: FakeHomeAssistant) -> HomeActions:
    settings = AppSettings(home_assistant_url=fake.url, home_assistant_token=TOKEN)
    return HomeActions.from_settings(settings)


def act(actions: HomeActions, action: str, slots: Mapping[str, object] | None = None,
        text: str = "", dry_run: bool = False,
        context: Mapping[str, object] | None = None) -> ActionResult:
    request = ActionRequest(f"home.{action}", "home", action, slots or {}, text=text,
                            dry_run=dry_run, context=context or {})
    return actions.handlers()[request.action](request)


def test_every_home_action_of_the_default_grammar_has_a_handler(home: HomeActions) -> None:
    names = {i.action for i in load_grammar(GRAMMAR).intents if i.domain == "home"}
    assert names == set(home.handlers())


# -- lights ----------------------------------------------------------------------------------
def test_light_on_in_a_room(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", {"room": "卧室"})
    assert result.performed and result.reply == "卧室灯已打开"
    assert fake.calls == [("light", "turn_on", {"entity_id": "light.bedroom"})]
    assert fake.state("light.bedroom") == "on"
    assert result.context["entity_ids"] == ["light.bedroom"]


def test_a_light_already_on_is_left_alone(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", {"room": "客厅"})
    assert result.performed and result.reply == "客厅灯已经开着了"
    assert fake.calls == []


def test_light_off_without_a_room_takes_the_only_light_that_is_on(
        home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_off", text="关灯")
    assert result.performed and result.reply == "客厅灯已关闭"
    assert fake.state("light.living_room") == "off"


def test_several_candidates_make_it_ask_which(home: HomeActions,
                                              fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", text="开灯")
    assert not result.performed and result.expect_reply
    assert result.reply == "哪个灯？卧室灯还是书房台灯？"
    assert fake.calls == []


def test_no_question_when_every_light_is_already_on(home: HomeActions,
                                                   fake: FakeHomeAssistant) -> None:
    fake.set("light.bedroom", "on")
    fake.set("light.desk_lamp", "on")
    result = act(home, "light_on", text="太暗了")
    assert result.performed and result.reply == "卧室灯、客厅灯和书房台灯已经开着了"
    assert fake.calls == []


def test_all_the_lights(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", text="把所有灯打开")
    assert result.performed
    assert {fake.state(e) for e in ("light.bedroom", "light.living_room", "light.desk_lamp")} \
        == {"on"}
    assert fake.calls == [("light", "turn_on", {"entity_id": ["light.bedroom", "light.desk_lamp"]})]


def test_a_room_found_through_the_area(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", {"room": "书房"})
    assert result.performed and result.reply == "书房台灯已打开"
    assert fake.state("light.desk_lamp") == "on"


def test_a_room_without_that_device(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_on", {"room": "厨房"})
    assert not result.performed
    assert result.reply == "没有找到厨房的灯，有卧室灯、客厅灯和书房台灯"
    assert fake.calls == []


def test_brightness_set(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "light_brightness", {"room": "客厅", "brightness": 80})
    assert result.performed and result.reply == "客厅灯亮度已调到80%"
    assert fake.calls == [("light", "turn_on",
                           {"entity_id": "light.living_room", "brightness_pct": 80})]
    assert fake.attribute("light.living_room", "brightness") == 204


def test_brighter_and_dimmer_by_20_percent(home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "light_brighter", {"room": "客厅"}).reply == "客厅灯亮度已调到70%"
    assert fake.attribute("light.living_room", "brightness") == round(70 * 255 / 100)
    assert act(home, "light_dimmer", {"room": "客厅"}).reply == "客厅灯亮度已调到50%"
    assert act(home, "light_brighter", text="灯光调到最亮").reply == "客厅灯亮度已调到100%"
    assert act(home, "light_brighter", text="亮一点").reply == "客厅灯已经是最亮了"


def test_brighter_turns_an_off_light_on_and_dimmer_does_not(
        home: HomeActions, fake: FakeHomeAssistant) -> None:
    dimmer = act(home, "light_dimmer", {"room": "卧室"})
    assert not dimmer.performed and dimmer.reply == "卧室灯是关着的"
    assert act(home, "light_brighter", {"room": "卧室"}).reply == "已打开卧室灯"
    assert fake.state("light.bedroom") == "on"


def test_a_light_that_only_switches_cannot_dim(home: HomeActions,
                                               fake: FakeHomeAssistant) -> None:
    result = act(home, "light_brightness", {"room": "书房", "brightness": 30})
    assert not result.performed and result.reply == "书房台灯不能调亮度"
    assert fake.calls == []


def test_a_follow_up_acts_on_the_last_light(home: HomeActions, fake: FakeHomeAssistant) -> None:
    first = act(home, "light_on", {"room": "卧室"})
    fake.set("light.bedroom", brightness=51)  # 20 %
    again = act(home, "light_brighter", text="再亮一点", context=first.context)
    assert again.reply == "卧室灯亮度已调到40%"
    lamp = act(home, "light_on", text="开灯", context=again.context)  # not the one already on
    assert lamp.reply == "书房台灯已打开"
    assert act(home, "light_off", text="关灯", context=again.context).reply == "卧室灯已关闭"
    stale = {**first.context, "time": time.monotonic() - 600}
    assert act(home, "light_brighter", text="再亮一点", context=stale).expect_reply


# -- temperature -----------------------------------------------------------------------------
def test_set_temperature(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "set_temperature", {"room": "客厅", "temperature": 22.5})
    assert result.performed and result.reply == "客厅空调已调到22.5度"
    assert fake.calls == [("climate", "set_temperature",
                           {"entity_id": "climate.living_room", "temperature": 22.5})]
    assert fake.attribute("climate.living_room", "temperature") == 22.5


def test_set_temperature_turns_the_air_conditioner_on(home: HomeActions,
                                                      fake: FakeHomeAssistant) -> None:
    fake.set("climate.living_room", "off")
    result = act(home, "set_temperature", {"temperature": 24})
    assert result.reply == "已打开客厅空调，温度设为24度"
    assert [c[:2] for c in fake.calls] == [("climate", "turn_on"), ("climate", "set_temperature")]
    assert fake.state("climate.living_room") == "cool"


def test_temperature_up_and_down_by_one_degree(home: HomeActions,
                                              fake: FakeHomeAssistant) -> None:
    assert act(home, "temperature_up").reply == "客厅空调已从26度调高到27度"
    assert fake.attribute("climate.living_room", "temperature") == 27
    assert act(home, "temperature_down").reply == "客厅空调已从27度调低到26度"
    fake.set("climate.living_room", temperature=30)
    assert act(home, "temperature_up").reply == "客厅空调已经是最高温度（30度）了"
    fake.set("climate.living_room", "off")
    off = act(home, "temperature_up")
    assert not off.performed and off.reply.startswith("客厅空调现在关着")  # type: ignore[union-attr]


def test_temperature_query(home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "temperature_query", {"room": "卧室"}).reply == "卧室现在24.5度"
    assert act(home, "temperature_query", {"room": "客厅"}).reply \
        == "客厅现在27.5度，客厅空调设定26度"
    everywhere = act(home, "temperature_query")
    assert everywhere.performed
    assert everywhere.reply == "卧室现在24.5度，客厅现在27.5度，客厅空调设定26度"
    missing = act(home, "temperature_query", {"room": "书房"})
    assert not missing.performed and missing.reply == "没有找到书房的温度，有客厅、卧室的"
    assert fake.calls == []


# -- other devices ---------------------------------------------------------------------------
def test_device_on_and_off(home: HomeActions, fake: FakeHomeAssistant) -> None:
    result = act(home, "device_on", {"room": "书房", "device": "风扇"})
    assert result.performed and result.reply == "书房风扇已打开"
    assert fake.calls[-1] == ("switch", "turn_on", {"entity_id": "switch.study_fan"})
    assert act(home, "device_off", {"device": "风扇"}).reply == "书房风扇已关闭"
    assert fake.state("switch.study_fan") == "off"


def test_curtains_open_and_close(home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "device_on", text="拉开卧室窗帘").reply == "卧室窗帘已打开"
    assert fake.calls[-1] == ("cover", "open_cover", {"entity_id": "cover.bedroom_curtain"})
    assert fake.attribute("cover.bedroom_curtain", "current_position") == 100
    assert act(home, "device_off", {"device": "窗帘"}).performed
    assert fake.state("cover.bedroom_curtain") == "closed"


def test_the_air_conditioner_as_a_device(home: HomeActions, fake: FakeHomeAssistant) -> None:
    assert act(home, "device_off", {"device": "空调"}).reply == "客厅空调已关闭"
    assert fake.calls[-1] == ("climate", "turn_off", {"entity_id": "climate.living_room"})


def test_devices_that_are_not_there(home: HomeActions, fake: FakeHomeAssistant) -> None:
    tv = act(home, "device_on", {"device": "电视"})
    assert not tv.performed and tv.reply == "Home Assistant里没有找到电视"
    fan = act(home, "device_on", {"room": "卧室", "device": "风扇"})
    assert fan.reply == "没有找到卧室的风扇，有书房风扇"
    nothing = act(home, "device_on", text="打开")
    assert nothing.expect_reply and nothing.reply == "要打开哪个设备？"
    assert fake.calls == []


def test_sentences_of_the_default_grammar(home: HomeActions, fake: FakeHomeAssistant,
                                         default_matcher: Any) -> None:
    say_to_home(home, [("把卧室灯打开", "light.bedroom", "on"),
                       ("关掉卧室的灯", "light.bedroom", "off"),
                       ("打开书房的风扇", "switch.study_fan", "on"),
                       ("把卧室的窗帘打开", "cover.bedroom_curtain", "open"),
                       ("关闭空调", "climate.living_room", "off")], fake, default_matcher)


# -- failures and dry runs -------------------------------------------------------------------
def test_not_configured() -> None:
    result = act(HomeActions.from_settings(AppSettings()), "light_on", {"room": "卧室"})
    assert not result.performed
    assert result.reply == ("还没有设置Home Assistant，"
                            "请在设置里填写Home Assistant的地址和长期访问令牌")
    assert result.error and "home_assistant_url" in result.error


def test_a_wrong_token(fake: FakeHomeAssistant) -> None:
    home = HomeActions(HomeAssistantClient(fake.url, "wrong"))
    result = act(home, "light_on", {"room": "卧室"})
    assert not result.performed
    assert result.reply == "Home Assistant拒绝了访问，请在设置里检查访问令牌"
    assert result.error and "HTTP 401" in result.error
    assert fake.calls == []


def test_a_token_that_cannot_be_sent(fake: FakeHomeAssistant) -> None:
    result = act(HomeActions(HomeAssistantClient(fake.url, "abc\ndef")), "light_on")
    assert not result.performed
    assert result.reply == ("Home Assistant的地址或令牌格式不对，"
                            "请在设置里填写Home Assistant的地址和长期访问令牌")
    assert fake.requests == []


def test_a_server_that_is_down() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = HomeActions(HomeAssistantClient(f"127.0.0.1:{port}", TOKEN, timeout=2))
    result = act(home, "set_temperature", {"temperature": 25})
    assert not result.performed
    assert result.reply == "连不上Home Assistant，请检查它是否开着、设置里的地址是否正确"
    assert result.error and "ConnectionRefusedError" in result.error


def test_a_slow_server_times_out(fake: FakeHomeAssistant) -> None:
    fake.delay = 5.0
    home = HomeActions(HomeAssistantClient(fake.url, TOKEN, timeout=0.3))
    start = time.monotonic()
    result = act(home, "temperature_query")
    assert time.monotonic() - start < 2
    assert not result.performed and result.reply == "Home Assistant没有及时回应，请稍后再试"
    assert result.error and "timed out" in result.error


def test_a_server_error(fake: FakeHomeAssistant) -> None:
    fake.fail = 500
    result = act(HomeActions(HomeAssistantClient(fake.url, TOKEN)), "light_off")
    assert not result.performed and result.reply == "Home Assistant出错了，请稍后再试"
    assert result.error and "HTTP 500" in result.error


def test_a_rejected_service_call(home: HomeActions, fake: FakeHomeAssistant) -> None:
    fake.set("climate.living_room", min_temp=10)  # the fake itself refuses below 16
    result = act(home, "set_temperature", {"temperature": 12})
    assert not result.performed and result.reply == "Home Assistant没有执行这个操作"
    assert result.error and "HTTP 400" in result.error and "not valid" in result.error


@pytest.mark.parametrize(("action", "slots", "description"), [
    ("light_on", {"room": "卧室"}, "打开卧室灯"),
    ("light_off", {}, "关闭灯"),
    ("light_brightness", {"brightness": 50}, "把灯的亮度调到50%"),
    ("light_brighter", {"room": "客厅"}, "把客厅灯调亮20%"),
    ("light_dimmer", {}, "把灯调暗20%"),
    ("set_temperature", {"room": "客厅", "temperature": 22.5}, "把客厅空调调到22.5度"),
    ("temperature_up", {}, "把空调温度调高1度"),
    ("temperature_down", {}, "把空调温度调低1度"),
    ("temperature_query", {"room": "卧室"}, "查询卧室温度"),
    ("device_on", {"device": "窗帘"}, "打开窗帘"),
    ("device_off", {"room": "书房", "device": "风扇"}, "关闭书房风扇"),
])
def test_a_dry_run_sends_nothing(home: HomeActions, fake: FakeHomeAssistant, action: str,
                                 slots: dict[str, object], description: str) -> None:
    result = act(home, action, slots, dry_run=True)
    assert not result.performed and result.description == description
    assert fake.requests == []


# -- the client and the matching on their own ------------------------------------------------
def test_the_client(fake: FakeHomeAssistant) -> None:
    client = HomeAssistantClient(fake.url + "/api/", TOKEN)
    assert client.ping() == "API running."
    assert client.state("light.living_room").attributes["brightness"] == 128
    assert {s.area for s in client.states() if s.area} == {"书房"}
    assert normalise_url(" homeassistant.local:8123/ ") == "http://homeassistant.local:8123"


def test_english_names_and_room_tiers() -> None:
    states = [EntityState("light.a", "off", {"friendly_name": "Master Bedroom Light"}),
              EntityState("light.b", "off", {"friendly_name": "次卧 吊灯"}),
              EntityState("climate.c", "off", {"friendly_name": "Black AC"}),
              EntityState("fan.d", "off", {"friendly_name": "客厅 空气净化器"}),
              EntityState("fan.e", "off", {"friendly_name": "Ceiling"}, area="Living Room")]
    lights = of_kind(states, kind_of("灯"))
    assert [e.entity_id for e in in_room(lights, "主卧")] == ["light.a"]
    assert [e.entity_id for e in in_room(lights, "卧室")] == ["light.a", "light.b"]
    assert [e.entity_id for e in of_kind(states, kind_of("空调"))] == ["climate.c"]
    assert [e.entity_id for e in of_kind(states, kind_of("风扇"))] == ["fan.e"]
    assert [e.entity_id for e in of_kind(states, kind_of("空气净化器"))] == ["fan.d"]
    assert room_of(states[4]) == "客厅" and display(states[4]) == "Living Room Ceiling"
