"""Which Home Assistant entities a spoken (room, device) means.

An entity is described by its friendly name (``卧室 灯``, ``客厅空调``, ``Bedroom Light``), its
area (when Home Assistant tells it) and its object id (``light.study_lamp`` → ``study lamp``).
A device kind (灯, 空调, 风扇, 窗帘 …) names the domains such a device may live in and the words
that name it in Chinese and English; every entity of a kind's own domain counts (any ``light`` is
a 灯) unless its name says it is another kind of that domain (a ``fan`` named 空气净化器 is
not a 风扇). A room
has tiers of words: 主卧 means 主卧 (or ``master bedroom``), and only when no entity says so, a
plain 卧室. Words of Latin letters match whole words only (``ac`` never inside ``black``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.actions.home_assistant import EntityState


@dataclass(frozen=True)
class Kind:
    label: str  # what replies call it
    words: tuple[str, ...]  # words in names that say "this is one"
    domains: frozenset[str]  # where such a device may live (with one of ``words`` in its name)
    own: frozenset[str] = frozenset()  # domains whose every entity is one

    @staticmethod
    def of(label: str, words: str, domains: str, own: str = "") -> Kind:
        return Kind(label, tuple(w for w in words.split("|") if w),
                    frozenset(domains.split()) | frozenset(own.split()), frozenset(own.split()))


SWITCHABLE = "switch input_boolean"
LIGHT = Kind.of("灯", "灯|light|lamp|lights|bulb", SWITCHABLE, "light")
CLIMATE = Kind.of("空调", "空调|冷气|air conditioner|aircon|ac|a/c|thermostat|hvac|climate",
                  SWITCHABLE, "climate")
KINDS: dict[str, Kind] = {
    "空调": CLIMATE,
    "暖气": Kind.of("暖气", "暖气|地暖|heating|heater|radiator",
                    f"climate water_heater {SWITCHABLE}"),
    "电暖器": Kind.of("电暖器", "电暖|取暖器|heater", f"climate {SWITCHABLE}"),
    "电视": Kind.of("电视", "电视|tv|television", f"media_player remote {SWITCHABLE}"),
    "风扇": Kind.of("风扇", "风扇|电扇|吊扇|fan", SWITCHABLE, "fan"),
    "空气净化器": Kind.of("空气净化器", "净化器|purifier", f"fan {SWITCHABLE}"),
    "新风": Kind.of("新风", "新风|fresh air|ventilation|ventilator", f"fan {SWITCHABLE}"),
    "油烟机": Kind.of("油烟机", "油烟机|烟机|range hood|hood", f"fan {SWITCHABLE}"),
    "加湿器": Kind.of("加湿器", "加湿|humidifier", f"humidifier fan {SWITCHABLE}"),
    "除湿机": Kind.of("除湿机", "除湿|抽湿|dehumidifier", f"humidifier fan {SWITCHABLE}"),
    "窗帘": Kind.of("窗帘", "窗帘|帘|curtain|curtains|blind|blinds|shade|shades", SWITCHABLE,
                    "cover"),
    "扫地机器人": Kind.of("扫地机器人", "扫地|扫拖|vacuum|robot", SWITCHABLE, "vacuum"),
    "热水器": Kind.of("热水器", "热水器|water heater|boiler", SWITCHABLE, "water_heater"),
    "音箱": Kind.of("音箱", "音箱|音响|speaker|sonos", "media_player"),
    "投影仪": Kind.of("投影仪", "投影|projector", f"media_player {SWITCHABLE}"),
    "插座": Kind.of("插座", "插座|插头|plug|socket|outlet", SWITCHABLE),
}
ANY_DEVICE = f"{SWITCHABLE} fan light cover climate media_player humidifier water_heater vacuum"

# Tiers of words per room (the list's values); the specific rooms come before the general ones.
ROOMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "主卧": (("主卧", "master bedroom", "main bedroom"), ("卧室", "卧房", "bedroom")),
    "次卧": (("次卧", "客卧", "second bedroom", "guest bedroom", "guest room"),
             ("卧室", "卧房", "bedroom")),
    "儿童房": (("儿童房", "孩子房", "小孩房", "kids room", "children", "nursery"),),
    "卧室": (("卧室", "卧房", "主卧", "次卧", "bedroom"),),
    "客厅": (("客厅", "起居室", "living room", "lounge", "living"),),
    "书房": (("书房", "study", "office"),),
    "厨房": (("厨房", "kitchen"),),
    "餐厅": (("餐厅", "饭厅", "dining room", "dining"),),
    "卫生间": (("卫生间", "洗手间", "厕所", "bathroom", "toilet", "restroom", "wc"), ("浴室",)),
    "浴室": (("浴室", "淋浴", "bathroom", "shower"), ("卫生间", "洗手间")),
    "阳台": (("阳台", "balcony"),),
    "玄关": (("玄关", "门厅", "入户", "entrance", "entry", "foyer"),),
    "走廊": (("走廊", "过道", "hallway", "corridor"),),
    "车库": (("车库", "garage"),),
    "院子": (("院子", "花园", "庭院", "garden", "yard", "backyard"),),
}

_CJK = "\u3400-\u9fff"


def kind_of(device: str) -> Kind:
    """The kind for the ``device`` slot's value (灯 included); unknown devices by their word."""
    if device in ("灯", "灯光"):
        return LIGHT
    return KINDS.get(device) or Kind.of(device, device, ANY_DEVICE)


def text_of(entity: EntityState) -> str:
    object_id = entity.entity_id.partition(".")[2].replace("_", " ")
    return f"{entity.name} {entity.area} {object_id}".lower()


def has_word(text: str, words: Iterable[str]) -> bool:
    for word in words:
        word = word.lower()
        if re.fullmatch(r"[a-z0-9 /]+", word):
            if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text):
                return True
        elif word in text:
            return True
    return False


def is_kind(entity: EntityState, kind: Kind) -> bool:
    text = text_of(entity)
    if entity.domain in kind.domains and has_word(text, kind.words):
        return True
    if entity.domain not in kind.own:
        return False
    return not any(other is not kind and entity.domain in other.domains
                   and has_word(text, other.words) for other in KINDS.values())


def of_kind(states: Iterable[EntityState], kind: Kind) -> list[EntityState]:
    return [s for s in states if is_kind(s, kind)]


def in_room(entities: Sequence[EntityState], room: str) -> list[EntityState]:
    """The entities of ``room``: the first tier of its words that any entity's name has."""
    for words in ROOMS.get(room, ((room,),)):
        found = [e for e in entities if has_word(text_of(e), words)]
        if found:
            return found
    return []


def room_of(entity: EntityState) -> str | None:
    text = text_of(entity)
    return next((room for room, tiers in ROOMS.items() if has_word(text, tiers[0])), None)


def display(entity: EntityState) -> str:
    """A name for the screen: ``卧室 灯`` → ``卧室灯``; the area first when the name lacks it."""
    name = entity.name
    if entity.area and entity.area.lower() not in name.lower():
        name = f"{entity.area} {name}"
    return re.sub(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])", "", name)


def names(entities: Sequence[EntityState], last: str = "和") -> str:
    """``客厅灯、卧室灯和书房台灯``."""
    shown = [display(e) for e in entities]
    if len(shown) <= 1:
        return "".join(shown)
    return "、".join(shown[:-1]) + last + shown[-1]


# -- states and services ---------------------------------------------------------------------
ON_SERVICES = {"cover": "open_cover", "vacuum": "start"}
OFF_SERVICES = {"cover": "close_cover", "vacuum": "return_to_base"}
OWN_TURN_ON = frozenset(("light", "switch", "fan", "input_boolean", "climate", "media_player",
                         "humidifier", "water_heater", "remote"))


def service_for(domain: str, on: bool) -> tuple[str, str]:
    """The service that switches an entity of ``domain`` on (open, start) or off."""
    table = ON_SERVICES if on else OFF_SERVICES
    if domain in table:
        return domain, table[domain]
    return (domain if domain in OWN_TURN_ON else "homeassistant"), ("turn_on" if on else "turn_off")


def is_on(entity: EntityState) -> bool:
    state = entity.state
    if entity.domain == "cover":
        return state in ("open", "opening")
    if entity.domain == "vacuum":
        return state == "cleaning"
    if entity.domain in ("climate", "media_player"):
        return state not in ("off", "standby", "unavailable", "unknown")
    return state == "on"


def switched_word(entities: Sequence[EntityState], on: bool) -> str:
    """``已打开``, ``已关闭``; a robot vacuum starts cleaning or goes back to its dock."""
    if all(e.domain == "vacuum" for e in entities):
        return "已开始清扫" if on else "已回去充电"
    return "已打开" if on else "已关闭"


def dimmable(entity: EntityState) -> bool:
    if entity.domain != "light":
        return False
    modes = entity.attributes.get("supported_color_modes")
    if isinstance(modes, list) and modes:
        return any(mode != "onoff" for mode in modes)
    return True  # older integrations do not say: try


def brightness_pct(entity: EntityState) -> int:
    """A light's brightness (0–255 in Home Assistant) in percent; 0 when off."""
    if not is_on(entity):
        return 0
    value = entity.number("brightness")
    return 100 if value is None else max(1, round(value / 255 * 100))


def reading(entity: EntityState) -> float | None:
    """The room temperature a thermometer or an air conditioner reports."""
    if entity.domain == "climate":
        return entity.number("current_temperature")
    if entity.domain != "sensor":
        return None
    unit = entity.attributes.get("unit_of_measurement")
    if entity.attributes.get("device_class") != "temperature" and unit not in ("°C", "℃"):
        return None
    try:
        return float(entity.state)
    except ValueError:
        return None


# -- for the handlers' replies ---------------------------------------------------------------
def fmt(value: float) -> str:
    return f"{round(value, 1):g}"


def ids(entities: Sequence[EntityState]) -> list[str]:
    return [e.entity_id for e in entities]


def by_domain(entities: Sequence[EntityState]) -> dict[str, list[EntityState]]:
    groups: dict[str, list[EntityState]] = {}
    for entity in entities:
        groups.setdefault(entity.domain, []).append(entity)
    return groups


def climates(states: Sequence[EntityState]) -> list[EntityState]:
    return [e for e in states if e.domain == "climate"]


def clamp_temperature(unit: EntityState, wanted: float) -> tuple[float, str]:
    low, high = unit.number("min_temp"), unit.number("max_temp")
    if high is not None and wanted > high:
        return high, f"{display(unit)}最高{fmt(high)}度，"
    if low is not None and wanted < low:
        return low, f"{display(unit)}最低{fmt(low)}度，"
    return wanted, ""


def target_note(entity: EntityState) -> str:
    target = entity.number("temperature")
    if entity.domain != "climate" or entity.state == "off" or target is None:
        return ""
    return f"，{display(entity)}设定{fmt(target)}度"


def place_of(entity: EntityState) -> str:
    return room_of(entity) or display(entity)


def places(entities: Sequence[EntityState]) -> str:
    return "、".join(dict.fromkeys(place_of(e) for e in entities))


def one_per_place(entities: Sequence[EntityState], room: str | None) -> dict[str, EntityState]:
    """One reading per room: a thermometer (a sensor) before an air conditioner's."""
    chosen: dict[str, EntityState] = {}
    for entity in sorted(entities, key=lambda e: e.domain != "sensor"):
        chosen.setdefault(room or place_of(entity), entity)
    return chosen
