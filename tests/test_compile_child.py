"""A large grammar is compiled in a child process: the assistant maps the finished graph and never
holds the compiler's peak; the graph is the one an in-process compile gives, and when no child
can do it the assistant compiles itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from asr.recognizer import Recognizer
from bench.bench_compile import GRAMMAR, generated
from intents.compile import GraphCompiler, compile_grammar, load_or_compile
from intents.compile_child import CHILD_ITEMS, list_items
from intents.grammar import load_grammar
from intents.model import Grammar


@pytest.fixture()
def large(tmp_path: Path) -> Grammar:
    (tmp_path / "lists").mkdir()
    (tmp_path / "g.yaml").write_text(GRAMMAR, encoding="utf-8")
    contacts = generated("contacts", CHILD_ITEMS, 0)
    (tmp_path / "lists" / "contacts.txt").write_text("\n".join(contacts), encoding="utf-8")
    (tmp_path / "lists" / "songs.txt").write_text("月光\n海风\n", encoding="utf-8")
    grammar = load_grammar(tmp_path / "g.yaml")
    assert list_items(grammar) >= CHILD_ITEMS
    return grammar


def test_a_large_grammar_is_compiled_by_a_child(large: Grammar, recognizer: Recognizer,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ids = recognizer.model.tokens.ids()
    expected = compile_grammar(large, ids)

    def refuse(self: GraphCompiler) -> None:
        raise AssertionError("compiled in the assistant's own process")

    monkeypatch.setattr(GraphCompiler, "compile", refuse)
    monkeypatch.setattr("intents.compile._LOADED", {})
    graph = load_or_compile(large, ids, cache=tmp_path / "graphs")
    assert graph.same_as(expected)
    assert len(list((tmp_path / "graphs").glob("*.graph"))) == 1


@pytest.mark.parametrize("how", ["no child", "in process"])
def test_without_a_child_the_assistant_compiles_itself(large: Grammar, recognizer: Recognizer,
                                                       tmp_path: Path, how: str,
                                                       compiled: list[int],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "no child":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    else:
        monkeypatch.setenv("LINGYIN_COMPILE_IN_PROCESS", "1")
    monkeypatch.setattr("intents.compile._LOADED", {})
    ids = recognizer.model.tokens.ids()
    graph = load_or_compile(large, ids, cache=tmp_path / "graphs")
    assert compiled == [1] and graph.num_arcs > 10_000
