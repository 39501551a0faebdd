"""Compile a grammar in a child process, so the assistant that runs all day never holds what a
compile needs (pypinyin's tables, the compiler's prefix trie: a few hundred MB at its peak, which
the allocator keeps after the compile is done; measured: a first reload left the process
~70 MB larger for good) and only maps the finished graph from the graph cache.

The parent sends the loaded grammar (pickled: the child trusts its parent, and nothing is read
back but an exit status), the child compiles it, stores it in the cache file and reads the
hotword phrases' readings into the readings cache (asr/readings_cache.py) so the parent need not
import pypinyin either. When a child cannot be started (a frozen bundle, a failure, a timeout) the
caller compiles in its own process as before (asr/child.py).

    python -m intents.compile_child PATH KEY    # grammar, token ids and costs on stdin
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from asr.child import run_module

if TYPE_CHECKING:
    from intents.compile import Costs
    from intents.model import Grammar

CHILD_SECONDS = 900.0  # a compile this long is stuck: the parent compiles itself
CHILD_ITEMS = 1000  # list items from which a compile is worth a child process (~1 s to start)


def list_items(grammar: Grammar) -> int:
    """How many list items the grammar's slots hold (what makes a compile large)."""
    from intents.slots import ListSlot

    definitions = [*grammar.slots.values(), *(d for i in grammar.intents for d in i.slots.values())]
    return sum(len(d.slot.values) for d in definitions if isinstance(d.slot, ListSlot))


def compile_elsewhere(grammar: Grammar, ids: Mapping[str, int], costs: Costs, path: Path,
                      key: str) -> bool:
    """True when a child process compiled the grammar and stored its graph at ``path``; False
    for a small grammar (compiled in a moment, in process) or when no child could do it."""
    if list_items(grammar) < CHILD_ITEMS:
        return False
    try:
        payload = pickle.dumps((grammar, dict(ids), costs))
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return (run_module("intents.compile_child", [str(path), key], payload, CHILD_SECONDS)
            and path.is_file())


def main(argv: list[str]) -> int:
    from asr.hotwords import phrase_tokens
    from intents.compile import compile_grammar, grammar_phrases
    from intents.graph_cache import write_graph

    path, key = Path(argv[0]), argv[1]
    grammar, ids, costs = pickle.loads(sys.stdin.buffer.read())
    graph = compile_grammar(grammar, ids, costs)
    if not write_graph(path, key, graph):
        return 1
    phrase_tokens(grammar_phrases(grammar), ids)  # fills the readings cache for the parent
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
