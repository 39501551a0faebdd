"""Reading YAML as a node tree that remembers where every key and value came from.

PyYAML's ``compose`` gives nodes with start marks; these helpers turn them into plain values
while reporting problems as :class:`~intents.errors.GrammarError` at file:line:column.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from intents.errors import GrammarError, Loc
from intents.template import Locator, fixed_locator, line_locator

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode"]


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text (a BOM is allowed); an invalid byte is reported at its line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise GrammarError(Loc(file, line, col), "not UTF-8 text: invalid byte "
                           f"0x{data[exc.start]:02x}") from None


def compose_text(text: str, file: str) -> Node | None:
    """The node tree of one YAML document; None for an empty file."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax: {exc.problem or exc.context or 'invalid document'}"
        if exc.context and exc.problem:
            message += f" ({exc.context})"
        raise GrammarError(Loc(file, line, col), message) from None
    except yaml.YAMLError as exc:  # errors without a mark (e.g. reader errors)
        raise GrammarError(Loc(file, 1, 1), f"YAML: {exc}") from None
    except RecursionError:
        raise GrammarError(Loc(file, 1, 1), "YAML nesting too deep") from None


def compose_file(path: Path) -> Node | None:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GrammarError(Loc(file, 1, 1), f"cannot read: {exc.strerror or exc}") from None
    return compose_text(decode_text(data, file), file)


def loc_of(node: Node, file: str) -> Loc:
    return Loc(file, node.start_mark.line + 1, node.start_mark.column + 1)


def kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a scalar"


def value(node: Node, file: str) -> object:
    """The plain Python value of ``node`` (safe types only)."""
    constructor = yaml.constructor.SafeConstructor()
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise GrammarError(loc_of(node, file), f"invalid value: {exc}") from None


def text(node: Node, file: str, what: str) -> str:
    """A scalar as text (numbers are accepted and written as they were)."""
    if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        raise GrammarError(loc_of(node, file), f"{what} must be text, not {kind(node)}")
    return str(node.value)


def items(node: Node, file: str, what: str) -> list[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping; duplicate keys are errors."""
    if not isinstance(node, MappingNode):
        raise GrammarError(loc_of(node, file), f"{what} must be a mapping, not {kind(node)}")
    seen: dict[str, Node] = {}
    out = []
    for key_node, value_node in node.value:
        key = text(key_node, file, f"a key in {what}")
        if key in seen:
            raise GrammarError(loc_of(key_node, file), f"duplicate key {key!r} in {what} "
                               f"(first at line {seen[key].start_mark.line + 1})")
        seen[key] = key_node
        out.append((key, key_node, value_node))
    return out


def sequence(node: Node, file: str, what: str) -> list[Node]:
    """A list's items; a single scalar counts as a list of one."""
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return [node]
    raise GrammarError(loc_of(node, file), f"{what} must be a list, not {kind(node)}")


def string_locator(node: Node, file: str) -> Locator:
    """Columns inside a string scalar: exact for one-line plain strings and for quoted strings
    without escapes; the string's start otherwise."""
    start = loc_of(node, file)
    if not isinstance(node, ScalarNode):
        return fixed_locator(start)
    one_line = node.start_mark.line == node.end_mark.line
    raw_len = node.end_mark.column - node.start_mark.column
    if one_line and node.style is None and raw_len == len(node.value):
        return line_locator(start)
    if one_line and node.style in ("'", '"') and raw_len == len(node.value) + 2:
        return line_locator(start.shifted(1))
    return fixed_locator(start)
