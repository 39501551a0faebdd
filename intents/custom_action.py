"""Custom actions written in the grammar, read and checked when the grammar loads::

    action: {run: ["/usr/bin/notify-send", "提醒", "{event}"]}     # argv list, never a shell
    action: {open: "https://www.baidu.com/s?wd={query}"}           # slot values URL-encoded
    action: {http: {method: POST, url: "http://127.0.0.1:8123/x", json: {"text": "{event}"}}}

``{slot}`` names a capture of the intent's sentences (checked once the whole grammar is merged:
:func:`intents.grammar.check_intent`); ``{{`` and ``}}`` are literal braces. :func:`fill` puts a
value into exactly the text it stands in, encoded for that place.

A value that starts with ``-`` would reach a ``run`` program as an option (``--help``, ``-rf``,
``--output=/etc/passwd``): :func:`option_like` finds such values, and the action refuses them
unless it says ``allow_options: true`` (a :class:`RunAction`)::

    action: {run: ["/usr/bin/mytool", "--", "{query}"], allow_options: true}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from intents import yamlnodes as yn
from intents.errors import GrammarError, Loc
from intents.model import CustomAction
from intents.slots import format_number

KINDS = ("run", "open", "http")
ALLOW_OPTIONS = "allow_options"
HTTP_KEYS = ("method", "url", "json")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class RunAction(CustomAction):
    """A ``run`` action; ``allow_options``: slot values starting with ``-`` are passed on (the
    action trusts its program to take them as data, e.g. after a ``--`` argument)."""

    allow_options: bool = False


def option_like(action: CustomAction, values: Mapping[str, object]) -> list[str]:
    """The slot values that would reach ``action``'s program looking like an option: starting
    with ``-`` once stripped of whitespace, in any argument. None for an action that allows
    options, or that runs no program."""
    if action.kind != "run" or (isinstance(action, RunAction) and action.allow_options):
        return []
    found: list[str] = []
    for name in dict.fromkeys(n for arg in action.argv[1:] for n in placeholders(arg)):
        text = value_text(values.get(name)).strip()
        if text.startswith("-"):
            found.append(text)
    return found


def placeholders(text: str) -> list[str]:
    """The slot names of ``text``'s ``{slot}`` placeholders, in order."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) is not None]


def fill(text: str, values: Mapping[str, object], encode: Callable[[str], str] = str) -> str:
    """``text`` with each ``{slot}`` replaced by ``encode(value)`` (a slot without a value
    gives ""), ``{{``/``}}`` by a brace. Nothing else of ``text`` changes."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name is None:
            return m.group(0)[0]
        return encode(value_text(values.get(name)))

    return PLACEHOLDER.sub(one, text)


def fill_json(template: object, values: Mapping[str, object]) -> object:
    """The JSON body ``template`` with placeholders filled inside its strings only."""
    if isinstance(template, str):
        return fill(template, values)
    if isinstance(template, dict):
        return {key: fill_json(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [fill_json(item, values) for item in template]
    return template


def value_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.slots: list[tuple[str, Loc]] = []

    def fail(self, node: yn.Node, message: str) -> GrammarError:
        return GrammarError(yn.loc_of(node, self.file), f"action: {message}")

    def string(self, node: yn.Node, what: str) -> str:
        """A text scalar (a number or true/false must be quoted); records its placeholders."""
        if not isinstance(node, yn.ScalarNode) or node.tag != _STR_TAG:
            got = repr(node.value) if isinstance(node, yn.ScalarNode) else yn.kind(node)
            raise self.fail(node, f"{what} must be text, not {got} (quote numbers and "
                            "true/false)")
        text = str(node.value)
        for name in placeholders(text):
            if not name.strip() or any(c in "{}()[]<>|: \t\n" for c in name):
                raise self.fail(node, f"invalid slot name {{{name}}} in {what} (write {{{{ and "
                                "}} for literal braces)")
            self.slots.append((name, yn.loc_of(node, self.file)))
        return text

    def url(self, node: yn.Node, schemes: tuple[str, ...] = ()) -> str:
        url = self.string(node, "the URL")
        scheme = _SCHEME.match(url)
        if scheme is None or "{" in scheme.group(0):
            raise self.fail(node, f"the URL must start with a scheme (https:, ...), got {url!r}")
        if schemes and scheme.group(0)[:-1].lower() not in schemes:
            raise self.fail(node, f"the URL must start with {' or '.join(schemes)}:")
        return url

    def run(self, node: yn.Node) -> CustomAction:
        if not isinstance(node, yn.SequenceNode) or not node.value:
            raise self.fail(node, "run needs a list: [program, argument, ...]")
        argv = tuple(self.string(item, f"run item {i + 1}") for i, item in enumerate(node.value))
        if not argv[0].strip() or placeholders(argv[0]):
            raise self.fail(node.value[0], "the program (first item of run) must be written "
                            "out, not empty or taken from a slot")
        return CustomAction("run", yn.loc_of(node, self.file), argv=argv)

    def http(self, node: yn.Node) -> CustomAction:
        entries = {k: (kn, v) for k, kn, v in yn.items(node, self.file, "http")}
        for key, (key_node, _) in entries.items():
            if key not in HTTP_KEYS:
                raise self.fail(key_node, f"unknown http key {key!r} (expected one of "
                                f"{', '.join(HTTP_KEYS)})")
        if "url" not in entries:
            raise self.fail(node, "http needs a url")
        url = self.url(entries["url"][1], ("http", "https"))
        body = self.json(entries["json"][1]) if "json" in entries else None
        method = "POST" if body is not None else "GET"
        if "method" in entries:
            method = yn.text(entries["method"][1], self.file, "method").upper()
            if method not in METHODS:
                raise self.fail(entries["method"][1], f"unknown method {method!r} (expected "
                                f"one of {', '.join(METHODS)})")
        return CustomAction("http", yn.loc_of(node, self.file), url=url, method=method,
                            json=body)

    def json(self, node: yn.Node) -> object:
        """The body template as plain JSON values; placeholders only inside strings."""
        if isinstance(node, yn.MappingNode):
            out: dict[str, object] = {}
            for key, key_node, item in yn.items(node, self.file, "json"):
                if placeholders(key):
                    raise self.fail(key_node, "a JSON key cannot hold a {slot}")
                out[key] = self.json(item)
            return out
        if isinstance(node, yn.SequenceNode):
            return [self.json(item) for item in node.value]
        if node.tag == _STR_TAG:
            return self.string(node, "a JSON string")
        scalar = yn.value(node, self.file)
        try:
            json.dumps(scalar, allow_nan=False)
        except (TypeError, ValueError):
            raise self.fail(node, f"{node.value!r} is not a JSON value (quote it)") from None
        return scalar


def read_custom_action(node: yn.Node, file: str) -> CustomAction:
    """``{run: ...}`` (with an optional ``allow_options``), ``{open: ...}`` or ``{http: ...}``;
    a :class:`GrammarError` at the offending key or value otherwise."""
    reader = _Reader(file)
    entries = yn.items(node, file, "a custom action")
    expected = f"expected one of {', '.join(KINDS)}; {ALLOW_OPTIONS} with run"
    bad = next(((k, kn) for k, kn, _ in entries if k not in (*KINDS, ALLOW_OPTIONS)), None)
    if bad is not None:
        raise reader.fail(bad[1], f"unknown custom action {bad[0]!r} ({expected})")
    kinds = [(k, v) for k, _, v in entries if k in KINDS]
    if len(kinds) != 1:
        raise reader.fail(node, f"a custom action has exactly one key of {', '.join(KINDS)} "
                          f"({expected})")
    kind, body = kinds[0]
    allow = _allow_options(reader, entries, kind)
    if kind == "run":
        action = reader.run(body)
    elif kind == "open":
        action = CustomAction("open", yn.loc_of(body, file), url=reader.url(body))
    else:
        action = reader.http(body)
    parts = (action.kind, yn.loc_of(node, file), action.argv, action.url, action.method,
             action.json, tuple(reader.slots))
    return RunAction(*parts, allow_options=allow) if kind == "run" else CustomAction(*parts)


def _allow_options(reader: _Reader, entries: list[tuple[str, yn.Node, yn.Node]],
                   kind: str) -> bool:
    found = next(((kn, v) for k, kn, v in entries if k == ALLOW_OPTIONS), None)
    if found is None:
        return False
    key_node, value_node = found
    if kind != "run":
        raise reader.fail(key_node, f"{ALLOW_OPTIONS} is only for run (a program's arguments)")
    allow = yn.value(value_node, reader.file)
    if not isinstance(allow, bool):
        raise reader.fail(value_node, f"{ALLOW_OPTIONS} must be true or false")
    return allow
