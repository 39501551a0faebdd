"""Compile a grammar into a token graph over the acoustic model's pinyin tokens.

Literal words take every reading asr/readings.py gives (the contextual one free, polyphones and
sandhi at a small cost, any other tone of the same syllable at a larger cost). List values and
range values become branches labelled with their value; digit strings a counted chain over the
digit readings; free-text slots a loop that takes any token at a per-token cost. Skip words may be
said before and after a command. Arc labels (asr/labels.py) carry the intent, the written text
and slot values back from the decoded path (see ``asr.graph.TokenGraph.align``).

Compiling a large grammar takes seconds, so ``load_or_compile`` keeps compiled graphs in the user
cache directory, keyed by what the graph is made from (see ``graph_key``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from asr import settings
from asr.graph import ANY, EPS, GraphBuilder, TokenGraph
from asr.labels import DigitLabel, IntentLabel, Label, SlotBegin, SlotEnd, SlotValue, TextLabel
from asr.readings import ReadingError, phrase_units
from intents.compile_child import compile_elsewhere
from intents.grammar import expand_rules
from intents.graph_cache import read_graph, write_graph
from intents.model import Grammar, Intent
from intents.slots import DigitsSlot, ListSlot, RangeSlot, Slot, WildcardSlot
from intents.template import Alternative, Literal, Node, Optional, Sequence, SlotRef

VARIANT_COST = -0.5  # another reading of a polyphone, sandhi, neutral tone
TONE_COST = -2.0  # the same final in any other tone (applied at search time, asr/graph.py)
WILDCARD_COST = -1.0  # per token of free text
DIGIT_READINGS = {
    "0": ("零", "洞"), "1": ("一", "幺"), "2": ("二", "两"), "3": ("三",), "4": ("四",),
    "5": ("五",), "6": ("六",), "7": ("七", "拐"), "8": ("八",), "9": ("九",),
}  # fmt: skip


@dataclass(frozen=True)
class Costs:
    variant: float = VARIANT_COST
    tone: float = TONE_COST
    wildcard: float = WILDCARD_COST


MAX_VARIANTS = 3  # other readings kept per syllable (pypinyin lists the common ones first)


class GraphCompiler:
    def __init__(self, grammar: Grammar, ids: Mapping[str, int], costs: Costs = Costs()) -> None:
        self.grammar = grammar
        self.ids = dict(ids)
        self.vocabulary = frozenset(ids)
        self.costs = costs
        self.graph = GraphBuilder()
        # (state, token) → child: words leaving one state share their prefixes
        self._trie: dict[tuple[int, int], int] = {}
        self._ends: dict[tuple[int, Label | None], int] = {}
        self._unit_cache: dict[str, tuple[tuple[tuple[int, ...], ...], ...]] = {}

    def compile(self) -> TokenGraph:
        final = self.graph.new_state()
        self.graph.finals.add(final)
        for intent in self.grammar.intents:
            for template in intent.sentences:
                node = expand_rules(template.node, self.grammar.rules)
                begin = self.graph.new_state()
                self.graph.add(0, EPS, begin, label=IntentLabel(intent.key))
                after_fillers = self._fillers(begin)
                end = self._node(node, after_fillers, intent)
                self.graph.add(self._fillers(end), EPS, final)
        self._trie.clear()
        self._ends.clear()
        self._unit_cache.clear()
        return self.graph.freeze()

    def _fillers(self, state: int) -> int:
        """Optional skip words (any number) after ``state``; returns the state after them."""
        if not self.grammar.skip_words:
            return state
        loop = self.graph.new_state()
        self.graph.add(state, EPS, loop)
        for word in self.grammar.skip_words:
            self._words(word, loop, loop, label=None, quiet=True)
        return loop

    def _node(self, node: Node, start: int, intent: Intent) -> int:
        if isinstance(node, Literal):
            end = self.graph.new_state()
            inner = self.graph.new_state()
            self.graph.add(start, EPS, inner, label=TextLabel(node.text))
            # words the model cannot hear (English only) leave this branch without a way on
            self._words(node.text, inner, end, label=None, quiet=True)
            return end
        if isinstance(node, Sequence):
            for item in node.items:
                start = self._node(item, start, intent)
            return start
        if isinstance(node, Alternative | Optional):
            options = node.options if isinstance(node, Alternative) else (node.item,)
            end = self.graph.new_state()
            for option in options:
                branch = self.graph.new_state()
                self.graph.add(start, EPS, branch)
                self.graph.add(self._node(option, branch, intent), EPS, end)
            if isinstance(node, Optional):
                self.graph.add(start, EPS, end)
            return end
        if isinstance(node, SlotRef):
            definition = self.grammar.slot(intent, node.name)
            if definition is None:
                raise ValueError(f"{node.loc}: unknown slot {{{node.name}}}")
            return self._slot(node.key, definition.slot, start)
        raise TypeError(f"unexpected template node {node!r}")

    def _slot(self, key: str, slot: Slot, start: int) -> int:
        inner, end = self.graph.new_state(), self.graph.new_state()
        self.graph.add(start, EPS, inner, label=SlotBegin(key))
        if isinstance(slot, ListSlot):
            for value in slot.values:
                self._words(value.spoken, inner, end, SlotValue(value.value, value.spoken), True)
        elif isinstance(slot, RangeSlot):
            for text, number in slot.forms():
                self._words(text, inner, end, SlotValue(number, text), quiet=True)
        elif isinstance(slot, DigitsSlot):
            self._digits(slot, inner, end)
        elif isinstance(slot, WildcardSlot):
            loop = self.graph.new_state()
            self.graph.add(inner, ANY, loop, self.costs.wildcard)
            self.graph.add(loop, ANY, loop, self.costs.wildcard)
            self.graph.add(loop, EPS, end)
        after = self.graph.new_state()
        self.graph.add(end, EPS, after, label=SlotEnd(key))
        return after

    def _digits(self, slot: DigitsSlot, start: int, end: int) -> None:
        state = start
        for count in range(1, slot.max_len + 1):
            following = self.graph.new_state()
            for digit, words in DIGIT_READINGS.items():
                for word in words:
                    self._words(word, state, following, DigitLabel(digit), quiet=True)
            if count >= slot.min_len:
                self.graph.add(following, EPS, end)
            state = following

    def _words(self, text: str, start: int, end: int, label: Label | None,
               quiet: bool = False) -> None:
        """Arcs spelling ``text`` from ``start`` to ``end``: the usual reading shares its prefix
        with the other words leaving ``start`` (a trie); each other reading of a syllable
        (polyphone, sandhi) is a bypass around that syllable at ``costs.variant``. ``label``
        rides on the arc into ``end``."""
        try:
            units = self._units(text)
        except ReadingError:
            if quiet:
                return  # e.g. the digit form "30" of a range value: not a spoken form
            raise
        state = start
        for options in units:
            if not options:  # an English word: any tokens, at the free-text cost
                loop = self.graph.new_state()
                self.graph.add(state, ANY, loop, self.costs.wildcard)
                self.graph.add(loop, ANY, loop, self.costs.wildcard)
                state = loop
                continue
            after = self._step(state, options[0])
            for option in options[1:MAX_VARIANTS + 1]:
                self._bypass(state, option, after)
            state = after
        if (state, label) not in self._ends:
            self._ends[state, label] = end
            self.graph.add(state, EPS, end, label=label)

    def _step(self, state: int, tokens: tuple[int, ...]) -> int:
        for token in tokens:
            child = self._trie.get((state, token))
            if child is None:
                child = self.graph.new_state()
                self._trie[state, token] = child
                self.graph.add(state, token, child)
            state = child
        return state

    def _bypass(self, state: int, tokens: tuple[int, ...], after: int) -> None:
        state = self._step(state, tokens[:-1])
        if self._trie.get((state, tokens[-1])) != after:
            self.graph.add(state, tokens[-1], after, self.costs.variant)

    def _units(self, text: str) -> tuple[tuple[tuple[int, ...], ...], ...]:
        """Per syllable or letter, its readings as token ids, the usual one first; an English
        word has none (it is matched by any tokens). Text with English words and no Chinese
        cannot be told apart from other speech, so it is an error (list items are left out).
        Remembered per compiler (a class-level cache would keep every compiler, and its graph,
        alive after a reload)."""
        found = self._unit_cache.get(text)
        if found is None:
            found = self._unit_cache[text] = self._read_units(text)
        return found

    def _read_units(self, text: str) -> tuple[tuple[tuple[int, ...], ...], ...]:
        units = phrase_units(text, self.vocabulary, neutral=False, words=True)
        chinese = any("\u4e00" <= unit.char <= "\u9fff" for unit in units)
        if any(unit.word for unit in units) and not chinese:
            # English words match any tokens: without Chinese words to anchor them, such an
            # item would take any speech (Call Me Maybe would match every song request)
            raise ReadingError(f"{text!r}: English words only; the model hears pinyin, so "
                               "add a spoken Chinese form (spoken<TAB>value in the list file)")
        return tuple(tuple(self._token_ids(option) for option in unit.options)
                     for unit in units)

    def _token_ids(self, option: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(self.ids[symbol] for symbol in option)


def compile_grammar(grammar: Grammar, ids: Mapping[str, int], costs: Costs = Costs()
                    ) -> TokenGraph:
    return GraphCompiler(grammar, ids, costs).compile()


# Bump when the compiler, asr/readings.py or the graph's arcs and labels change what a compiled
# graph holds (the source of those modules is part of the key too, when it can be read).
GRAPH_CACHE_VERSION = 3  # 3: one memory-mapped file; the key from the grammar's meaning
GRAPH_CACHE_KEEP = 8  # compiled graphs kept in the cache folder, most recently used first
_GRAPH_CODE = ("intents/compile.py", "intents/graph_cache.py", "asr/graph.py", "asr/labels.py",
               "asr/readings.py")


def graph_key(grammar: Grammar, ids: Mapping[str, int], costs: Costs = Costs()) -> str:
    """What a compiled graph is made from, hashed: what the grammar means to the compiler (each
    intent's sentences with the rules expanded and every slot's definition with every list item
    — not file names, line numbers, comments, replies or tests, so moving a file or adding a
    comment does not compile again), the token table, the costs, pypinyin's version and the
    compiler's code."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(f"lingyin-graph-v{GRAPH_CACHE_VERSION}\n{costs!r}\n".encode())
    with contextlib.suppress(PackageNotFoundError):
        digest.update(f"pypinyin {version('pypinyin')}\n".encode())
    for relative in _GRAPH_CODE:
        # in a frozen bundle without sources, the version constant stands for the code
        with contextlib.suppress(OSError):
            digest.update((settings.source_root() / relative).read_bytes())
    digest.update(repr(sorted(ids.items())).encode())
    digest.update(repr(_meaning(grammar)).encode())
    return digest.hexdigest()


_PLACE_FIELDS = ("loc", "source")  # where something was written, not what it says


def _meaning(grammar: Grammar) -> tuple[object, ...]:
    """The grammar as the compiler reads it, without places: slot definitions once each, by
    the number of their first use."""
    definitions: dict[int, tuple[int, object]] = {}

    def slot(ref: SlotRef, intent: Intent) -> object:
        definition = grammar.slot(intent, ref.name)
        if definition is None:
            return ("slot", ref.key, None)
        if id(definition) not in definitions:
            definitions[id(definition)] = (len(definitions), _plain(definition.slot))
        return ("slot", ref.key, definitions[id(definition)][0])

    def node(item: Node, intent: Intent) -> object:
        match item:
            case Literal():
                return item.text
            case Sequence():
                return ("seq", *(node(i, intent) for i in item.items))
            case Alternative():
                return ("alt", *(node(o, intent) for o in item.options))
            case Optional():
                return ("opt", node(item.item, intent))
            case SlotRef():
                return slot(item, intent)
        raise TypeError(f"unexpected template node {item!r}")

    intents = tuple((intent.key, tuple(node(expand_rules(t.node, grammar.rules), intent)
                                       for t in intent.sentences))
                    for intent in grammar.intents)
    return (grammar.language, grammar.skip_words, intents,
            tuple(value for _, value in sorted(definitions.values(), key=lambda d: d[0])))


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(_plain(getattr(value, f.name))
                                        for f in dataclasses.fields(value)
                                        if f.name not in _PLACE_FIELDS))
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value


def graph_cache_dir() -> Path:
    return settings.cache_dir() / "graphs"


def load_or_compile(grammar: Grammar, ids: Mapping[str, int], costs: Costs = Costs(),
                    cache: Path | None = None) -> TokenGraph:
    """The grammar's graph from the cache folder (default ``graph_cache_dir()``), compiled and
    stored first when missing. A corrupt or foreign cache file is ignored and replaced; a cache
    folder that cannot be written only costs the compile time."""
    folder = cache if cache is not None else graph_cache_dir()
    key = graph_key(grammar, ids, costs)
    graph = _LOADED.get(key)  # a reload of the same grammar (an edited comment or reply)
    if graph is not None:
        return graph
    path = folder / f"{key[:32]}.graph"
    graph = read_graph(path, key)
    if graph is None and compile_elsewhere(grammar, ids, costs, path, key):
        graph = read_graph(path, key)
        _prune(folder)
    if graph is None:
        graph = compile_grammar(grammar, ids, costs)
        _write_graph(path, key, graph)
    _LOADED[key] = graph
    return graph


# graphs in use, by key: understanders of the same grammar share one graph and what the search
# learnt about it; a graph nobody uses any more is freed (weak references)
_LOADED: weakref.WeakValueDictionary[str, TokenGraph] = weakref.WeakValueDictionary()


def _write_graph(path: Path, key: str, graph: TokenGraph) -> None:
    """Store the graph (intents/graph_cache.py: data, never code); then prune the least
    recently used."""
    if write_graph(path, key, graph):
        _prune(path.parent)


def _prune(folder: Path) -> None:
    graphs = sorted(folder.glob("*.graph"), key=_mtime, reverse=True)
    for stale in graphs[GRAPH_CACHE_KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def grammar_phrases(grammar: Grammar) -> list[str]:
    """The grammar's words and list items: what free decoding is biased toward."""
    phrases: dict[str, None] = {}

    def walk(node: Node, intent: Intent) -> None:
        if isinstance(node, Literal) and len(node.text) >= 2:
            phrases[node.text] = None
        elif isinstance(node, Sequence):
            for item in node.items:
                walk(item, intent)
        elif isinstance(node, Alternative):
            for option in node.options:
                walk(option, intent)
        elif isinstance(node, Optional):
            walk(node.item, intent)
        elif isinstance(node, SlotRef):
            definition = grammar.slot(intent, node.name)
            if definition is not None and isinstance(definition.slot, ListSlot):
                phrases.update((v.spoken, None) for v in definition.slot.values)

    for intent in grammar.intents:
        for template in intent.sentences:
            walk(expand_rules(template.node, grammar.rules), intent)
    return list(phrases)
