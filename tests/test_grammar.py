"""Loading grammars: the example grammar, every error kind with its location, reloads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from intents.errors import GrammarError, GrammarErrors, Loc
from intents.grammar import load_grammar
from intents.model import ActionNeeds, Grammar
from intents.slots import DigitsSlot, ListSlot, RangeSlot, WildcardSlot, spoken_integer
from intents.store import GrammarStore, ensure_user_grammar
from intents.template import (
    Alternative,
    Literal,
    Optional,
    RuleRef,
    Sequence,
    SlotRef,
    line_locator,
    parse_template,
)

DATA = Path(__file__).parent / "data"
GRAMMAR = DATA / "grammar"
BROKEN = sorted((DATA / "grammar_broken").glob("*.yaml"))
START = Loc("t.yaml", 1, 1)


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_template(text, line_locator(START))


def test_template_tree_and_locations() -> None:
    tree = parse("[把]音量(调|设)到{volume}<好>")
    assert tree == Sequence((Optional(Literal("把", START), START), Literal("音量", START),
                             Alternative((Literal("调", START), Literal("设", START)), START),
                             Literal("到", START), SlotRef("volume", START),
                             RuleRef("好", START)), START)
    assert isinstance(tree, Sequence)
    assert [item.loc.col for item in tree.items] == [1, 4, 6, 11, 12, 20]
    assert parse("{city:to}") == SlotRef("city", START, "to")
    assert parse(r"a\(b") == Literal("a(b", START)


def test_example_grammar_loads() -> None:
    grammar = load_grammar(GRAMMAR)
    assert len(grammar.files) == 4
    assert {i.key for i in grammar.intents} >= {"volume.set", "phone.call", "reminder.create"}
    slots = {name: d.slot for name, d in grammar.slots.items()}
    assert isinstance(slots["volume"], RangeSlot) and slots["volume"].unit == "%"
    assert isinstance(slots["phone"], DigitsSlot) and slots["phone"].max_len == 11
    assert isinstance(slots["event"], WildcardSlot)
    contact = slots["contact"]
    assert isinstance(contact, ListSlot) and contact.source == "contacts"
    assert ("老婆", "李梅") in [(v.spoken, v.value) for v in contact.values]
    city = slots["city"]
    assert isinstance(city, ListSlot)
    assert ("帝都", "北京") in [(v.spoken, v.value) for v in city.values]
    call = grammar.intent("phone.call")
    assert call is not None and call.confirm and call.action == "phone.call"
    assert call.replies[0].render({"contact": "张三"}) == "正在呼叫张三"
    assert "请" in grammar.skip_words


def test_spoken_numbers() -> None:
    assert spoken_integer(2) == ["二", "两"]
    assert spoken_integer(30) == ["三十"]
    assert spoken_integer(100) == ["一百"]
    assert "一百零五" in spoken_integer(105)
    assert {"十五", "一十五"} <= set(spoken_integer(15))
    assert "一百二" in spoken_integer(120)


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_error_names_file_line_column(path: Path) -> None:
    expect = re.match(r"# expect: (\d+):(\d+) (.+)", path.read_text(encoding="utf-8"))
    assert expect, f"{path} needs an '# expect: LINE:COL message' first line"
    line, col, message = int(expect[1]), int(expect[2]), expect[3]
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    problems = info.value.problems
    assert any(p.loc == Loc(str(path), line, col) and message in p.message for p in problems), \
        "\n".join(map(str, problems))


def test_errors_name_the_intent() -> None:
    with pytest.raises(GrammarErrors) as info:
        load_grammar(DATA / "grammar_broken" / "unknown_slot.yaml")
    assert info.value.problems[0].intent == "volume.set"
    assert "(intent volume.set)" in str(info.value)


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes("intents:\n  - domain: 音\xff".encode("utf-8", "surrogateescape")[:-2]
                     + b"\xff\n")
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    assert info.value.problems[0].loc.line == 2
    assert "UTF-8" in info.value.problems[0].message


def test_folder_duplicates_name_both_places(tmp_path: Path) -> None:
    shutil.copytree(GRAMMAR, tmp_path / "g")
    (tmp_path / "g" / "extra.yaml").write_text(
        "slots:\n  city: {values: [西安]}\nintents:\n  - domain: volume\n    intent: up\n"
        "    sentences: [再大声]\n", encoding="utf-8")
    with pytest.raises(GrammarErrors) as info:
        load_grammar(tmp_path / "g")
    text = str(info.value)
    assert re.search(r"extra\.yaml:2:3: duplicate slot 'city', first defined at .*base\.yaml:",
                     text)
    assert re.search(r"media\.yaml:\d+:\d+: duplicate intent 'volume\.up', first defined at "
                     r".*extra\.yaml:4:5", text)


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("intents:\n  - {domain: a, intent: b, sentences: ['x(']}\n"
                    "  - {domain: a, intent: c, sentences: ['{nope}']}\n", encoding="utf-8")
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    assert len(info.value.problems) == 2


def test_list_file_errors_are_located(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "apps.txt").write_text("微信\n计算器\t\n", encoding="utf-8")
    path = tmp_path / "g.yaml"
    path.write_text("slots:\n  app: {list: apps}\nintents:\n"
                    "  - {domain: a, intent: o, sentences: ['打开{app}']}\n", encoding="utf-8")
    with pytest.raises(GrammarErrors) as info:
        load_grammar(path)
    assert str(info.value.problems[0].loc) == f"{tmp_path / 'lists' / 'apps.txt'}:2:5"


def test_missing_standard_list_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("slots:\n  song: {list: songs}\nintents:\n"
                    "  - {domain: m, intent: p, sentences: ['播放{song}']}\n", encoding="utf-8")
    grammar = load_grammar(path, tmp_path / "no-lists")
    slot = grammar.slots["song"].slot
    assert isinstance(slot, ListSlot) and slot.values == ()


def test_broken_reload_keeps_the_old_grammar(tmp_path: Path) -> None:
    shutil.copytree(GRAMMAR, tmp_path / "g")
    store = GrammarStore(tmp_path / "g")
    assert store.reload() == []
    old = store.grammar
    assert isinstance(old, Grammar)
    media = tmp_path / "g" / "media.yaml"
    media.write_text(media.read_text(encoding="utf-8").replace("声音(调|设)到", "声音(调|设到"),
                     encoding="utf-8")
    problems = store.reload()
    assert problems and "unbalanced" in problems[0].message
    assert store.grammar is old
    match = store.match("音量调到三十")
    assert match is not None and match.slots == {"volume": 30}


def test_ensure_user_grammar_copies_once(tmp_path: Path) -> None:
    target = ensure_user_grammar(tmp_path / "config", source=GRAMMAR)
    assert (target / "lists" / "contacts.txt").is_file()
    (target / "media.yaml").unlink()
    assert ensure_user_grammar(tmp_path / "config", source=GRAMMAR) == target
    assert not (target / "media.yaml").exists()  # the user's copy is never overwritten


def test_an_upgrade_updates_only_the_files_the_user_did_not_edit(tmp_path: Path) -> None:
    bundled = tmp_path / "bundled"
    shutil.copytree(GRAMMAR, bundled)
    target = ensure_user_grammar(tmp_path / "config", source=bundled)
    names = sorted(p.name for p in bundled.glob("*.yaml"))
    edited, untouched = target / names[0], target / names[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    for name in names[:2]:  # a newer Lingyin changes both bundled files and adds a list
        (bundled / name).write_text((bundled / name).read_text(encoding="utf-8") + "# new\n",
                                    encoding="utf-8")
    (bundled / "lists" / "scenes.txt").write_text("回家模式\n", encoding="utf-8")
    assert ensure_user_grammar(tmp_path / "config", source=bundled) == target
    assert edited.read_text(encoding="utf-8").endswith("# mine\n")  # the user's edit stays
    assert untouched.read_text(encoding="utf-8").endswith("# new\n")  # the upgrade arrives
    assert (target / "lists" / "scenes.txt").read_text(encoding="utf-8") == "回家模式\n"


def test_question_mark_after_a_group_is_an_error() -> None:
    with pytest.raises(GrammarError) as info:
        parse("打开(灯|电视)?吧")
    assert info.value.loc == START.shifted(8)
    assert "`?` after a group: write [灯|电视] for an optional part" in str(info.value)
    assert parse("打开[灯|电视]吧?") is not None  # elsewhere it is punctuation, ignored


# ---- actions: names Lingyin has, slots they need (issue 15) ------------------------------------
KNOWN = {"app.open": ActionNeeds(("app",)), "volume.set": ActionNeeds(("volume",)),
         "time.now": ActionNeeds()}
APP_TARGET = """\
slots:
  target: {values: [微信, 计算器]}
intents:
  - domain: app
    intent: open
    sentences: ["打开{target}"]
    action: app.open
"""


def action_problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    load_grammar(path)  # without the known actions any name loads, as before
    with pytest.raises(GrammarErrors) as caught:
        load_grammar(path, known_actions=KNOWN)
    return [str(p) for p in caught.value.problems]


def test_an_unknown_action_is_an_error_at_its_intent(tmp_path: Path) -> None:
    text = ("intents:\n  - domain: time\n    intent: now\n    sentences: [几点了]\n"
            "    action: time.now\n  - domain: my\n    intent: thing\n    sentences: [做那件事]\n"
            "    action: no.such_action\n  - domain: v\n    intent: s\n    sentences: [大声]\n"
            "    action: volume.sett\n")
    assert action_problems_of(text, tmp_path) == [
        f"{tmp_path}/g.yaml:6:5: unknown action 'no.such_action' (the built-in actions are "
        "listed in docs/grammar.md; a custom action is written {run: [...]}, {open: ...} or "
        "{http: ...}) (intent my.thing)",
        f"{tmp_path}/g.yaml:10:5: unknown action 'volume.sett' (did you mean volume.set?) "
        "(intent v.s)"]


def test_an_action_needs_one_of_its_slots(tmp_path: Path) -> None:
    """app.open reads the slot app: an app.open whose slot is called target would ask
    要打开哪个应用？ after every command."""
    assert action_problems_of(APP_TARGET, tmp_path) == [
        f"{tmp_path}/g.yaml:4:5: app.open needs one of the slots app; this intent has target "
        "(intent app.open)"]
    fixed = APP_TARGET.replace("{target}", "{target:app}")  # captured as app: fine
    path = tmp_path / "fixed.yaml"
    path.write_text(fixed, encoding="utf-8")
    assert load_grammar(path, known_actions=KNOWN).intents[0].action == "app.open"


def test_an_intent_named_like_an_action_needs_its_slots_too(tmp_path: Path) -> None:
    """The assistant asks for the required slots by intent key, whatever the action."""
    text = APP_TARGET.replace("action: app.open", 'action: {run: ["/bin/true", "{target}"]}')
    assert action_problems_of(text, tmp_path) == [
        f"{tmp_path}/g.yaml:4:5: app.open needs one of the slots app; this intent has target "
        "(intent app.open)"]


def test_check_grammar_reports_actions_of_a_loaded_grammar(tmp_path: Path) -> None:
    from intents.check import check_grammar

    path = tmp_path / "g.yaml"
    path.write_text(APP_TARGET, encoding="utf-8")
    grammar = load_grammar(path)
    assert check_grammar(grammar) == []
    assert [p.message for p in check_grammar(grammar, known_actions=KNOWN)] == [
        "app.open needs one of the slots app; this intent has target"]
