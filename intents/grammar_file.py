"""One grammar file's node tree → its part of the grammar (rules, slots, intents, skip words).

Problems are collected, not raised, so one pass reports all of them; a part that has a problem
is left out (the grammar as a whole is then refused).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from intents import yamlnodes as yn
from intents.custom_action import read_custom_action
from intents.errors import Collector, GrammarError, Loc
from intents.lists import load_list
from intents.model import CustomAction, Intent, Reply, Rule, SlotDef, Template, TestCase
from intents.slots import DigitsSlot, ListSlot, ListValue, RangeSlot, Slot, WildcardSlot
from intents.template import parse_template

TOP_KEYS = ("language", "skip_words", "synonyms", "rules", "slots", "intents")
INTENT_KEYS = ("domain", "intent", "sentences", "replies", "action", "confirm", "question",
               "tests", "slots")
SLOT_KINDS = ("values", "list", "range", "digits", "wildcard")
SLOT_OPTIONS = ("step", "unit")
T = TypeVar("T")


@dataclass
class FilePart:
    file: str
    language: tuple[str, Loc] | None = None
    skip_words: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    slots: list[SlotDef] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)
    broken_slots: set[str] = field(default_factory=set)  # defined, but with a problem


class FileReader:
    def __init__(self, file: str, lists_dir: Path, problems: Collector) -> None:
        self.file = file
        self.lists_dir = lists_dir
        self.problems = problems
        self.intent: str | None = None  # the intent being read, named in problems

    def fail(self, node: yn.Node, message: str) -> GrammarError:
        return GrammarError(yn.loc_of(node, self.file), message)

    def guard(self, error: GrammarError) -> None:
        self.problems.add_error(error, self.intent)

    def read(self, root: yn.Node | None) -> FilePart:
        part = FilePart(self.file)
        if root is None:
            return part
        try:
            entries = yn.items(root, self.file, "a grammar file")
        except GrammarError as exc:
            self.guard(exc)
            return part
        for key, key_node, value in entries:
            try:
                self.top_entry(part, key, key_node, value)
            except GrammarError as exc:
                self.guard(exc)
        return part

    def top_entry(self, part: FilePart, key: str, key_node: yn.Node, value: yn.Node) -> None:
        if key == "language":
            part.language = (yn.text(value, self.file, "language"), yn.loc_of(value, self.file))
        elif key == "skip_words":
            words = [yn.text(n, self.file, "a skip word") for n in
                     yn.sequence(value, self.file, "skip_words")]
            part.skip_words.extend(w for w in words if w.strip())
        elif key == "synonyms":
            for word, word_node, canonical in yn.items(value, self.file, "synonyms"):
                written = yn.text(canonical, self.file, "a synonym's word")
                if not word.strip() or not written.strip():
                    raise self.fail(word_node, "a synonym needs a word and what it means")
                part.synonyms[word] = written
        elif key == "rules":
            for name, _, body in yn.items(value, self.file, "rules"):
                rule = self.guarded(self.rule, name, body)
                if rule is not None:
                    part.rules.append(rule)
        elif key == "slots":
            part.slots.extend(self.slot_defs(value, part.broken_slots))
        elif key == "intents":
            for node in yn.sequence(value, self.file, "intents"):
                intent = self.guarded(self.intent_entry, node)
                if intent is not None:
                    part.intents.append(intent)
                self.intent = None
        else:
            raise self.fail(key_node, f"unknown key {key!r} (expected one of "
                            f"{', '.join(TOP_KEYS)})")

    def guarded(self, make: Callable[..., T], *args: object) -> T | None:
        try:
            return make(*args)
        except GrammarError as exc:
            self.guard(exc)
            return None

    def rule(self, name: str, node: yn.Node) -> Rule:
        return Rule(name, self.template(node, "a rule"))

    def template(self, node: yn.Node, what: str) -> Template:
        text = yn.text(node, self.file, what)
        if not text.strip():
            raise self.fail(node, f"{what} is empty")
        tree = parse_template(text, yn.string_locator(node, self.file))
        return Template(text, tree, yn.loc_of(node, self.file))

    def slot_defs(self, node: yn.Node, broken: set[str] | None = None) -> list[SlotDef]:
        out = []
        for name, name_node, body in yn.items(node, self.file, "slots"):
            if not name.strip() or any(c in "{}()[]<>|:" for c in name):
                self.guard(self.fail(name_node, f"invalid slot name {name!r}"))
                continue
            slot = self.guarded(self.slot, body)
            if slot is not None:
                out.append(SlotDef(name, slot, yn.loc_of(name_node, self.file)))
            elif broken is not None:
                broken.add(name)
        return out

    def slot(self, node: yn.Node) -> Slot:
        if isinstance(node, yn.SequenceNode):
            return ListSlot(tuple(self.list_values(node)))
        entries = {k: (kn, v) for k, kn, v in yn.items(node, self.file, "a slot")}
        for key, (key_node, _) in entries.items():
            if key not in SLOT_KINDS + SLOT_OPTIONS:
                raise self.fail(key_node, f"unknown slot key {key!r} (expected one of "
                                f"{', '.join(SLOT_KINDS + SLOT_OPTIONS)})")
        kinds = [k for k in SLOT_KINDS if k in entries]
        if not kinds:
            raise self.fail(node, f"a slot needs one of: {', '.join(SLOT_KINDS)}")
        exclusive = [k for k in kinds if k in ("range", "digits", "wildcard")]
        if exclusive and len(kinds) > 1:
            raise self.fail(entries[kinds[1]][0], f"a slot cannot have both {kinds[0]!r} and "
                            f"{kinds[1]!r}")
        if "range" in entries:
            return self.range_slot(entries)
        for key in SLOT_OPTIONS:
            if key in entries:
                raise self.fail(entries[key][0], f"{key!r} only applies to a range slot")
        if "digits" in entries:
            return self.digits_slot(entries["digits"][1])
        if "wildcard" in entries:
            flag = yn.value(entries["wildcard"][1], self.file)
            if flag is True:
                return WildcardSlot()
            if isinstance(flag, int) and not isinstance(flag, bool) and flag > 0:
                return WildcardSlot(flag)
            raise self.fail(entries["wildcard"][1], "wildcard must be true, or the most "
                            "characters the free text may have (a whole number, e.g. 12)")
        values: list[ListValue] = []
        source = None
        if "values" in entries:
            values.extend(self.list_values(entries["values"][1]))
        if "list" in entries:
            list_node = entries["list"][1]
            source = yn.text(list_node, self.file, "a list name")
            values.extend(load_list(source, self.lists_dir, yn.loc_of(list_node, self.file),
                                    self.problems))
        return ListSlot(tuple(values), source)

    def list_values(self, node: yn.Node) -> list[ListValue]:
        if isinstance(node, yn.MappingNode):  # spoken: value
            return [self.list_value(k, kn, yn.value(v, self.file), kn)
                    for k, kn, v in yn.items(node, self.file, "values")]
        out = []
        for item in yn.sequence(node, self.file, "values"):
            if isinstance(item, yn.MappingNode):
                fields = {k: v for k, _, v in yn.items(item, self.file, "a list value")}
                if set(fields) == {"spoken", "value"} or set(fields) == {"spoken"}:
                    spoken = yn.text(fields["spoken"], self.file, "spoken")
                    val = yn.value(fields.get("value", fields["spoken"]), self.file)
                    out.append(self.list_value(spoken, item, val, fields["spoken"]))
                elif len(fields) == 1:
                    (key, key_node, body), = yn.items(item, self.file, "a list value")
                    out.append(self.list_value(key, key_node, yn.value(body, self.file), key_node))
                else:
                    raise self.fail(item, "a list value is text, {spoken: value} or "
                                    "{spoken: ..., value: ...}")
            else:
                spoken = yn.text(item, self.file, "a list value")
                out.append(self.list_value(spoken, item, yn.value(item, self.file), item))
        return out

    def list_value(self, spoken: str, _node: yn.Node, value: object, at: yn.Node) -> ListValue:
        if not spoken.strip():
            raise self.fail(at, "a list value needs a spoken form")
        return ListValue(spoken, value if value is not None else spoken)

    def number(self, node: yn.Node, what: str) -> int | float:
        value = yn.value(node, self.file)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"{what} must be a number")
        return value

    def range_slot(self, entries: dict[str, tuple[yn.Node, yn.Node]]) -> RangeSlot:
        node = entries["range"][1]
        bounds = yn.sequence(node, self.file, "range")
        if len(bounds) != 2:
            raise self.fail(node, "range needs two numbers: [start, stop]")
        start, stop = (self.number(b, "a range bound") for b in bounds)
        step: int | float = 1
        if "step" in entries:
            step = self.number(entries["step"][1], "step")
        unit = yn.text(entries["unit"][1], self.file, "unit") if "unit" in entries else ""
        try:
            return RangeSlot(start, stop, step, unit)
        except ValueError as exc:
            raise self.fail(node, f"impossible range: {exc}") from None

    def digits_slot(self, node: yn.Node) -> DigitsSlot:
        lengths = [self.number(n, "a digit count") for n in yn.sequence(node, self.file, "digits")]
        if len(lengths) not in (1, 2) or not all(isinstance(n, int) for n in lengths):
            raise self.fail(node, "digits needs a length or [min, max] (whole numbers)")
        try:
            return DigitsSlot(int(lengths[0]), int(lengths[-1]))
        except ValueError as exc:
            raise self.fail(node, f"impossible digits: {exc}") from None

    def intent_entry(self, node: yn.Node) -> Intent:
        entries = {k: (kn, v) for k, kn, v in yn.items(node, self.file, "an intent")}
        for key in ("domain", "intent"):
            if key not in entries:
                raise self.fail(node, f"an intent needs {key!r}")
        domain = yn.text(entries["domain"][1], self.file, "domain")
        name = yn.text(entries["intent"][1], self.file, "intent")
        self.intent = f"{domain}.{name}"
        for key, (key_node, _) in entries.items():
            if key not in INTENT_KEYS:
                raise self.fail(key_node, f"unknown intent key {key!r} (expected one of "
                                f"{', '.join(INTENT_KEYS)})")
        if "sentences" not in entries:
            raise self.fail(node, "an intent needs 'sentences'")
        sentences = [self.guarded(self.template, n, "a sentence")
                     for n in yn.sequence(entries["sentences"][1], self.file, "sentences")]
        replies = [Reply(yn.text(n, self.file, "a reply"), yn.loc_of(n, self.file))
                   for n in yn.sequence(entries["replies"][1], self.file, "replies")] \
            if "replies" in entries else []
        action, custom = self.action(entries["action"][1]) if "action" in entries \
            else (None, None)
        confirm = yn.value(entries["confirm"][1], self.file) if "confirm" in entries else False
        if not isinstance(confirm, bool):
            raise self.fail(entries["confirm"][1], "confirm must be true or false")
        question = yn.value(entries["question"][1], self.file) if "question" in entries else False
        if not isinstance(question, bool):
            raise self.fail(entries["question"][1], "question must be true or false")
        tests = self.tests(entries["tests"][1]) if "tests" in entries else []
        slots = self.slot_defs(entries["slots"][1]) if "slots" in entries else []
        if not sentences:
            raise self.fail(entries["sentences"][1], "an intent needs at least one sentence")
        return Intent(domain, name, tuple(s for s in sentences if s is not None),
                      yn.loc_of(node, self.file), tuple(replies), action, confirm, tuple(tests),
                      {s.name: s for s in slots}, custom, question)

    def action(self, node: yn.Node) -> tuple[str, CustomAction | None]:
        """A built-in action name, or a custom action (its name is ``custom.KIND``)."""
        if isinstance(node, yn.MappingNode):
            custom = read_custom_action(node, self.file)
            return custom.name, custom
        name = yn.text(node, self.file, "action")
        if name.startswith("custom."):
            raise self.fail(node, f"action names custom.* are for custom actions: write "
                            f"{{{name.removeprefix('custom.')}: ...}}")
        return name, None

    def tests(self, node: yn.Node) -> list[TestCase]:
        out = []
        for item in yn.sequence(node, self.file, "tests"):
            if isinstance(item, yn.ScalarNode):
                out.append(TestCase(yn.text(item, self.file, "a test"), {},
                                    yn.loc_of(item, self.file)))
                continue
            fields = {k: (kn, v) for k, kn, v in yn.items(item, self.file, "a test")}
            for key, (key_node, _) in fields.items():
                if key not in ("text", "slots"):
                    raise self.fail(key_node, f"unknown test key {key!r} (expected text, slots)")
            if "text" not in fields:
                raise self.fail(item, "a test needs 'text'")
            text_node = fields["text"][1]
            slots = {k: yn.value(v, self.file) for k, _, v in
                     yn.items(fields["slots"][1], self.file, "test slots")} \
                if "slots" in fields else {}
            out.append(TestCase(yn.text(text_node, self.file, "a test text"), slots,
                                yn.loc_of(text_node, self.file)))
        return out
