"""Custom actions written in the grammar, read and checked when the grammar loads::

    action: {run: ["/usr/bin/notify-send", "提醒", "{event}"]}     # argv list, never a shell
    action: {open: "https://www.baidu.com/s?wd={query}"}           # slot values URL-encoded
    action: {http: {method: POST, url: "http://127.0.0.1:8123/x", json: {"text": "{event}"}}}

``{slot}`` names a capture of the intent's sentences (checked once the whole grammar is merged:
:func:`intents.grammar.check_intent`); ``{{`` and ``}}`` are literal braces. :func:`fill` puts a
value into exactly the text it stands in, encoded for that place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from intents import yamlnodes as yn
from intents.errors import GrammarError, Loc
from intents.model import CustomAction
from intents.slots import format_number

KINDS = ("run", "open", "http")
HTTP_KEYS = ("method", "url", "json")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_STR_TAG = "tag:yaml.org,2002:str"


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
    """``{run: ...}``, ``{open: ...}`` or ``{http: ...}``; a :class:`GrammarError` at the
    offending key or value otherwise."""
    reader = _Reader(file)
    entries = yn.items(node, file, "a custom action")
    if len(entries) != 1 or entries[0][0] not in KINDS:
        bad = next(((k, kn) for k, kn, _ in entries if k not in KINDS), None)
        at, what = (bad[1], f"unknown custom action {bad[0]!r}") if bad else \
            (node, "a custom action has exactly one key")
        raise reader.fail(at, f"{what} (expected one of {', '.join(KINDS)})")
    kind, _, body = entries[0]
    if kind == "run":
        action = reader.run(body)
    elif kind == "open":
        action = CustomAction("open", yn.loc_of(body, file), url=reader.url(body))
    else:
        action = reader.http(body)
    return CustomAction(action.kind, yn.loc_of(node, file), action.argv, action.url,
                        action.method, action.json, tuple(reader.slots))
