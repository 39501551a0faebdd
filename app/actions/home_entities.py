"""Which Home Assistant entities a spoken (room, device) means.

An entity is described by its friendly name (``卧室 灯``, ``客厅空调``, ``Bedroom Light``), its
area (when Home Assistant tells it) and its object id (``light.study_lamp`` → ``study lamp``).
A device kind (灯, 空调, 风扇, 窗帘 …) names the domains such a device may live in and the words
that name it in Chinese and English; every entity of a kind's own domain counts (any ``light`` is
a 灯) unless its name says it is another kind of that domain (a ``fan`` named 空气净化器 is
not a 风扇; a ``cover`` named 车库门 is not a 窗帘). A room
has tiers of words: 主卧 means 主卧 (or ``master bedroom``), and only when no entity says so, a
plain 卧室. Words of Latin letters match whole words only (``ac`` never inside ``black``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.actions.base import ActionRequest
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
    "车库门": Kind.of("车库门", "车库门|garage door", f"cover {SWITCHABLE}"),
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


# -- the request's slots ---------------------------------------------------------------------
def slot_text(request: ActionRequest, name: str) -> str | None:
    value = request.slots.get(name)
    return value.strip() or None if isinstance(value, str) else None


def slot_number(request: ActionRequest, name: str) -> float | None:
    value = request.slots.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%度℃").strip())
        except ValueError:
            return None
    return None


# -- doors, locks, covers --------------------------------------------------------------------
LOCK_WORDS = frozenset(("门锁", "锁", "门", "智能锁", "房门", "门的锁"))  # any lock
NAMED_DOORS: dict[str, tuple[str, ...]] = {
    "大门": ("大门", "正门", "入户门", "front door", "main door", "entrance", "front"),
    "入户门": ("入户", "大门", "front door", "main door", "entrance", "front"),
    "前门": ("前门", "front door", "front"),
    "后门": ("后门", "back door", "rear door", "back", "rear"),
    "侧门": ("侧门", "side door", "side"),
}
CURTAINS = frozenset(("纱帘", "遮光帘", "百叶窗", "卷帘", "窗纱", "布帘"))  # else any 窗帘
SET_POSITION = 4  # CoverEntityFeature.SET_POSITION


def device_class(entity: EntityState) -> str:
    value = entity.attributes.get("device_class")
    return value if isinstance(value, str) else ""


def sensors(states: Iterable[EntityState], *classes: str) -> list[EntityState]:
    """Door or window sensors (``binary_sensor``, ``on`` is open) of those device classes."""
    return [e for e in states if e.domain == "binary_sensor" and device_class(e) in classes]


def locks(states: Iterable[EntityState]) -> list[EntityState]:
    return [e for e in states if e.domain == "lock"]


def named(pool: Sequence[EntityState], word: str) -> list[EntityState]:
    """大门, 后门 …: the entities whose name says so; the only one when none does."""
    found = [e for e in pool if has_word(text_of(e), NAMED_DOORS.get(word, (word,)))]
    return found or (list(pool) if len(pool) == 1 else [])


def things(states: Sequence[EntityState], word: str) -> list[EntityState]:
    """What a state question (书房的灯开着吗, 大门锁了吗, 窗户关了没有) asks about."""
    doors = locks(states) + sensors(states, "door", "garage_door")
    if word in LOCK_WORDS - {"门"}:
        return locks(states)
    if word == "门":
        return doors
    if word in NAMED_DOORS:
        return named(doors, word)
    if word in ("窗户", "窗"):
        return sensors(states, "window") + [e for e in states if e.domain == "cover"
                                            and device_class(e) == "window"]
    if word == "车库门":
        return sensors(states, "garage_door") + of_kind(states, KINDS["车库门"])
    return of_kind(states, kind_of(word))


def covers(states: Sequence[EntityState], device: str) -> list[EntityState]:
    """The covers a word names; 遮光帘 falls back to any 窗帘 when no name says 遮光帘."""
    found = [e for e in of_kind(states, kind_of(device)) if e.domain == "cover"]
    if not found and device in CURTAINS:
        found = [e for e in of_kind(states, KINDS["窗帘"]) if e.domain == "cover"]
    return found


def position(cover: EntityState) -> int:
    value = cover.number("current_position")
    return round(value) if value is not None else (100 if is_on(cover) else 0)


def can_position(cover: EntityState) -> bool:
    features = cover.number("supported_features")
    if features is None:
        return cover.number("current_position") is not None
    return bool(int(features) & SET_POSITION)


# -- what a state question answers -----------------------------------------------------------
STATE_WORDS: dict[str, dict[str, str]] = {
    "lock": {"locked": "已上锁", "unlocked": "没有上锁", "locking": "正在上锁",
             "unlocking": "正在解锁", "jammed": "卡住了", "open": "开着", "opening": "正在打开"},
    "vacuum": {"cleaning": "正在清扫", "docked": "在充电座上", "returning": "正在回充电座",
               "idle": "待机中", "paused": "暂停了", "error": "出错了"},
    "cover": {"open": "开着", "closed": "关着", "opening": "正在打开", "closing": "正在关闭"},
    "media_player": {"playing": "正在播放", "paused": "暂停了"},
}
HVAC_WORDS = {"cool": "制冷", "heat": "制热", "auto": "自动", "heat_cool": "自动",
              "dry": "除湿", "fan_only": "送风"}


def state_text(entity: EntityState) -> str:
    """``书房灯开着，亮度60%``, ``大门已上锁``, ``客厅窗帘开着（70%）``, ``扫地机器人正在清扫``."""
    name, state = display(entity), entity.state
    if state in ("unavailable", "unknown"):
        return f"{name}{'现在连不上' if state == 'unavailable' else '状态未知'}"
    word = STATE_WORDS.get(entity.domain, {}).get(state)
    if word is None and entity.domain in STATE_WORDS and entity.domain != "media_player":
        word = f"的状态是{state}"
    word = word or ("开着" if is_on(entity) else "关着")
    return f"{name}{word}{state_note(entity)}"


def state_note(entity: EntityState) -> str:
    if entity.domain == "light" and is_on(entity) and entity.number("brightness") is not None:
        return f"，亮度{brightness_pct(entity)}%"
    if entity.domain == "cover" and entity.state == "open" and 0 < position(entity) < 100:
        return f"（{position(entity)}%）"
    if entity.domain == "climate" and is_on(entity):
        mode = HVAC_WORDS.get(entity.state, "")
        target = entity.number("temperature")
        parts = [p for p in (mode, f"设定{fmt(target)}度" if target is not None else "") if p]
        return f"（{'，'.join(parts)}）" if parts else ""
    return ""


# -- light colours ---------------------------------------------------------------------------
COLOUR_MODES = frozenset(("hs", "xy", "rgb", "rgbw", "rgbww"))


def colour_modes(light: EntityState) -> frozenset[str] | None:
    """The light's ``supported_color_modes``; None when the integration does not say."""
    modes = light.attributes.get("supported_color_modes")
    return frozenset(str(m) for m in modes) if isinstance(modes, list) and modes else None


def can_colour(light: EntityState) -> bool:
    modes = colour_modes(light)
    return modes is None or bool(modes & COLOUR_MODES)


def can_white(light: EntityState) -> bool:
    modes = colour_modes(light)
    return modes is None or "color_temp" in modes


def kelvin_for(light: EntityState, kelvin: int) -> int:
    low = light.number("min_color_temp_kelvin")
    high = light.number("max_color_temp_kelvin")
    if low is not None and kelvin < low:
        return round(low)
    if high is not None and kelvin > high:
        return round(high)
    return kelvin
