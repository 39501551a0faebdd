"""The token graph as flat arrays: the search state, the alignment and the completion verdict
agree with a plain dictionary walk over the same arcs (the way the graph was searched before it
became arrays), on a real grammar and on paths of every kind — literals, skip words, list items,
numbers, digit strings, free text, tone stand-ins."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from asr.graph import ANY, EPS, GraphBuilder, GraphContext, TokenGraph, state_members
from asr.labels import IntentLabel, Label, SlotBegin, SlotEnd, SlotValue, TextLabel, TokenLabel
from intents.compile import compile_grammar
from intents.completion import Completion, completion
from intents.grammar import load_grammar

GRAMMAR = """
language: zh-CN
skip_words: [请, 一下, 吧]
slots:
  room: {list: rooms}
  level: {range: [0, 100], unit: "%"}
  phone: {digits: [3, 5]}
  note: {wildcard: true}
intents:
  - domain: home
    intent: light_on
    sentences: ["[请][把]{room}的灯(打开|开开)", "开{room}灯吧"]
  - domain: volume
    intent: set
    sentences: ["音量(调|设)到{level}"]
  - domain: telephone
    intent: dial
    sentences: ["拨打{phone}"]
  - domain: notes
    intent: add
    sentences: ["记下{note}"]
"""

Frontier = dict[int, tuple[float, tuple[Label, ...]]]


def reference_frontier(graph: TokenGraph, tokens: list[int],
                       similar: dict[int, tuple[int, ...]], cost: float) -> Frontier:
    """Every state the tokens lead to with its best bonus and labels: a dictionary walk."""
    def expand(frontier: Frontier) -> Frontier:
        out, stack = dict(frontier), list(frontier)
        while stack:
            state = stack.pop()
            score, labels = out[state]
            for token, target, bonus, label in graph.arcs(state):
                if token != EPS:
                    continue
                new = (score + bonus, labels + ((label,) if label is not None else ()))
                if target not in out or out[target][0] < new[0]:
                    out[target] = new
                    stack.append(target)
        return out

    frontier = expand({0: (0.0, ())})
    for heard in tokens:
        moved: Frontier = {}
        for state, (score, labels) in frontier.items():
            for token, target, bonus, label in graph.arcs(state):
                if token in (heard, ANY):
                    step = bonus
                elif heard in similar.get(token, ()):
                    step = bonus + cost
                else:
                    continue
                new_labels = labels + ((label,) if label is not None else ())
                if token == ANY:
                    new_labels += (TokenLabel(heard),)
                if target not in moved or moved[target][0] < score + step:
                    moved[target] = (score + step, new_labels)
        frontier = expand(moved)
    return frontier


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory, recognizer) -> tuple[TokenGraph, dict]:  # type: ignore[no-untyped-def]
    from asr.graph import tone_neighbours

    folder = tmp_path_factory.mktemp("grammar")
    (folder / "lists").mkdir()
    (folder / "lists" / "rooms.txt").write_text("客厅\n卧室\n书房\n厨房\n", encoding="utf-8")
    (folder / "g.yaml").write_text(GRAMMAR, encoding="utf-8")
    tokens = recognizer.model.tokens
    graph = compile_grammar(load_grammar(folder / "g.yaml"), tokens.ids())
    return graph, tone_neighbours(tokens.symbols)


def spoken(ids: dict[str, int], text: str) -> list[int]:
    """The usual reading of ``text`` as token ids."""
    from asr.readings import phrase_units

    return [ids[t] for unit in phrase_units(text, frozenset(ids)) for t in unit.options[0]]


def random_paths(graph: TokenGraph, count: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    paths = []
    while len(paths) < count:
        state, tokens = 0, []
        for _ in range(80):
            if graph.is_final[state] and rng.random() < 0.5:
                break
            arcs = graph.arcs(state)
            if not arcs:
                break
            token, state, _, _ = rng.choice(arcs)
            if token == ANY:
                tokens.append(rng.randrange(1, 190))
            elif token >= 0:
                tokens.append(token)
        paths.append(tokens)
    return paths


def test_alignment_matches_a_dictionary_walk(compiled) -> None:  # type: ignore[no-untyped-def]
    graph, similar = compiled
    rng = random.Random(7)
    checked = finals = 0
    for tokens in random_paths(graph, 300, seed=3):
        if tokens and rng.random() < 0.3:  # a tone stand-in somewhere
            at = rng.randrange(len(tokens))
            tokens[at] = rng.choice(similar.get(tokens[at], (tokens[at],)))
        if tokens and rng.random() < 0.2:
            tokens = tokens[: rng.randrange(len(tokens))]
        expected = reference_frontier(graph, tokens, similar, -2.0)
        lattice = graph.lattice(tokens, similar, -2.0)
        assert (lattice is None) == (not expected), tokens
        if lattice is None:
            continue
        assert sorted(expected) == lattice.states.tolist()
        for state, (score, _) in expected.items():
            assert lattice.score(state) == pytest.approx(score, abs=1e-9)
        ends = [v for s, v in expected.items() if graph.is_final[s]]
        aligned = graph.align(tokens, similar, -2.0)
        assert (aligned is None) == (not ends)
        if aligned is not None:
            finals += 1
            score, labels = max(ends, key=lambda v: v[0])
            assert aligned[1] == pytest.approx(score, abs=1e-9)
            # equal scores may differ only in which of two equally good paths was kept
            assert [lb for lb in aligned[0] if not isinstance(lb, TextLabel)] == \
                [lb for lb in labels if not isinstance(lb, TextLabel)]
        checked += 1
    assert checked > 250 and finals > 150


def reference_step(graph: TokenGraph, members: set[int], token: int,
                   similar: dict[int, tuple[int, ...]], cost: float) -> tuple[set[int], float]:
    """The search's step as a set walk: exact arcs (and free text) first, stand-ins only when
    none takes the token; then the epsilon closure."""
    for exact in (True, False):
        targets, best = set(), -np.inf
        for state in members:
            for arc_token, target, bonus, _ in graph.arcs(state):
                hit = arc_token in (token, ANY) if exact else token in similar.get(arc_token, ())
                if hit:
                    targets.add(target)
                    best = max(best, bonus + (0.0 if exact else cost))
        if targets:
            return closure(graph, targets), float(best)
    return set(), -1e9


def closure(graph: TokenGraph, states: set[int]) -> set[int]:
    seen, stack = set(states), list(states)
    while stack:
        for token, target, _, _ in graph.arcs(stack.pop()):
            if token == EPS and target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def test_the_search_state_matches_a_set_walk(compiled) -> None:  # type: ignore[no-untyped-def]
    graph, similar = compiled
    context = GraphContext(graph, similar, -2.0)
    rng = random.Random(5)
    for tokens in random_paths(graph, 60, seed=11):
        if tokens and rng.random() < 0.5:
            at = rng.randrange(len(tokens))
            tokens[at] = rng.choice(similar.get(tokens[at], (tokens[at],)))
        state, members = context.start(), closure(graph, {0})
        for token in tokens:
            assert state_members(state).tolist() == sorted(members)
            allowed = context.allowed(state)
            expected = {t for m in members for a, _, _, _ in graph.arcs(m) if a >= 0
                        for t in (a, *similar.get(a, ()))}
            free = any(a == ANY for m in members for a, _, _, _ in graph.arcs(m))
            assert (allowed is None) == free
            if allowed is not None:
                assert allowed.tolist() == sorted(expected)
            state, bonus = context.advance(state, token)
            members, best = reference_step(graph, members, token, similar, -2.0)
            assert bonus == best
        final = any(graph.is_final[m] for m in members)
        assert context.finish(state) == (0.0 if final else None)


def test_a_tie_keeps_the_grammar_s_words_over_skip_words(compiled, recognizer) -> None:  # type: ignore[no-untyped-def]
    """请 is a skip word and a word of the sentence: the path that says it as the sentence's
    word is kept, so the sentence as written is 请把客厅的灯打开, not 把客厅的灯打开."""
    graph, similar = compiled
    ids = recognizer.model.tokens.ids()
    tokens = spoken(ids, "请把客厅的灯打开")
    aligned = graph.align(tokens, similar, -2.0)
    assert aligned is not None
    labels, score = aligned
    assert score == 0.0
    assert labels == [IntentLabel("home.light_on"), TextLabel("请"), TextLabel("把"),
                      SlotBegin("room"), SlotValue("客厅", "客厅"), SlotEnd("room"),
                      TextLabel("的灯"), TextLabel("打开")]


def test_free_text_gives_its_tokens_back_and_may_continue(compiled, recognizer) -> None:  # type: ignore[no-untyped-def]
    graph, similar = compiled
    ids = recognizer.model.tokens.ids()
    tokens = spoken(ids, "记下买牛奶")
    aligned = graph.align(tokens, similar, -2.0)
    assert aligned is not None
    heard = [lb.token for lb in aligned[0] if isinstance(lb, TokenLabel)]
    assert heard == tokens[-len(heard):] and len(heard) == 6  # 买牛奶: three syllables
    assert completion(graph, tokens, similar, -2.0) is Completion.MAY_CONTINUE
    short = spoken(ids, "开卧室灯吧")
    assert completion(graph, short, similar, -2.0) is Completion.DONE
    assert completion(graph, short[:-2], similar, -2.0) is Completion.INCOMPLETE  # 吧 is needed


def test_a_builder_orders_epsilons_first_and_keeps_the_order_added() -> None:
    builder = GraphBuilder()
    a, b = builder.new_state(), builder.new_state()
    builder.add(0, 7, a, -0.5)
    builder.add(0, EPS, b, 0.0, IntentLabel("x.y"))
    builder.add(0, 3, b)
    builder.add(a, ANY, a, -1.0)
    builder.finals.add(b)
    graph = builder.freeze()
    assert graph.arcs(0) == [(EPS, b, 0.0, IntentLabel("x.y")), (7, a, -0.5, None),
                             (3, b, 0.0, None)]
    assert graph.arcs(a) == [(ANY, a, -1.0, None)] and graph.arcs(b) == []
    assert graph.num_states == 3 and graph.num_arcs == 4
    assert np.array_equal(graph.finals, [b])


def test_the_graph_holds_no_python_object_per_arc(compiled) -> None:  # type: ignore[no-untyped-def]
    graph, _ = compiled
    for name in ("offsets", "eps_end", "tokens", "targets", "bonus", "labels"):
        assert getattr(graph, name).dtype != object
    assert len(graph.label_table) < graph.num_arcs


def test_a_graph_from_a_path_is_read_from_the_default_grammar(recognizer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Sanity on the real grammar: a few sentences align to their intent."""
    from asr import settings

    ids = recognizer.model.tokens.ids()
    grammar = load_grammar(settings.resource_path("grammar/zh-CN"))
    graph = compile_grammar(grammar, ids)
    for sentence, intent in (("把音量调到三十", "volume.set"), ("打开客厅的灯", "home.light_on")):
        tokens = spoken(ids, sentence)
        aligned = graph.align(tokens)
        assert aligned is not None, sentence
        assert aligned[0][0] == IntentLabel(intent), sentence
