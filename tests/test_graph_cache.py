"""Compiled grammar graphs are cached on disk: a second understander for the same grammar loads
the graph instead of compiling it and understands exactly as the first; an edited list, another
token table or a corrupt cache file means compiling again."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.audio import load_audio
from asr.recognizer import Recognizer
from intents.compile import GraphCompiler, graph_key
from intents.grammar import load_grammar
from intents.speech import SpeechUnderstander, ToHanzi

GRAMMAR = """
language: zh-CN
slots:
  temperature: {range: [16, 32], unit: 度}
  song: {list: songs}
intents:
  - domain: climate
    intent: set_temperature
    sentences: ["(设定|设置|调到)[成|为|到]{temperature}"]
  - domain: music
    intent: play
    sentences: ["(想听|来一首)[歌曲]{song}"]
"""


@pytest.fixture()
def grammar_path(tmp_path: Path) -> Path:
    (tmp_path / "grammar" / "lists").mkdir(parents=True)
    (tmp_path / "grammar" / "lists" / "songs.txt").write_text("海阔天空\n我的滑板鞋\n",
                                                              encoding="utf-8")
    path = tmp_path / "grammar" / "grammar.yaml"
    path.write_text(GRAMMAR, encoding="utf-8")
    return path


class _Unshared(dict):  # type: ignore[type-arg]
    """No graph is shared between understanders: each one goes to the cache folder."""

    def get(self, key: object, default: object = None) -> None:  # type: ignore[override]
        return None


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("intents.compile._LOADED", _Unshared())
    return tmp_path / "cache" / "graphs"


def test_second_understander_loads_the_compiled_graph(
        recognizer: Recognizer, to_hanzi: ToHanzi, grammar_path: Path, cache: Path, clip,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    assert len(list(cache.glob("*.graph"))) == 1
    assert not [p for p in cache.iterdir() if p.suffix == ".tmp"]  # written atomically

    def refuse(self: GraphCompiler):  # type: ignore[no-untyped-def]
        raise AssertionError("the grammar was compiled again")

    monkeypatch.setattr(GraphCompiler, "compile", refuse)
    second = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    assert second.graph is not first.graph
    assert second.graph.same_as(first.graph)
    for utt in ("W0001", "W0038", "W0121"):  # 设定二十九度, 想听歌曲我的滑板鞋, news
        samples = load_audio(clip(utt))
        one, two = first.understand(samples), second.understand(samples)
        assert one == two, utt
    assert second.understand(load_audio(clip("W0001"))).slots == {"temperature": 29}


def test_an_edited_list_is_compiled_again(recognizer: Recognizer, to_hanzi: ToHanzi,
                                          grammar_path: Path, cache: Path,
                                          compiled: list[int]) -> None:
    SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    songs = grammar_path.parent / "lists" / "songs.txt"
    songs.write_text("海阔天空\n", encoding="utf-8")
    SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    assert len(compiled) == 2
    assert len(list(cache.glob("*.graph"))) == 2


def test_a_corrupt_cache_file_is_ignored_and_replaced(recognizer: Recognizer, to_hanzi: ToHanzi,
                                                      grammar_path: Path, cache: Path,
                                                      compiled: list[int]) -> None:
    first = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    (stored,) = cache.glob("*.graph")
    good = stored.read_bytes()
    flipped = bytearray(good)
    flipped[-3] ^= 0x40  # one bit of the last array: only the checksum can tell
    for broken in (b"", b"not a graph at all", good[: len(good) // 2], bytes(flipped),
                   good + b"\0"):
        stored.write_bytes(broken)
        again = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
        assert again.graph.same_as(first.graph)
    assert len(compiled) == 6
    SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    assert len(compiled) == 6  # the last rebuild was stored again


def test_the_key_covers_the_token_table(recognizer: Recognizer, grammar_path: Path) -> None:
    grammar = load_grammar(grammar_path)
    ids = recognizer.model.tokens.ids()
    assert graph_key(grammar, ids) == graph_key(load_grammar(grammar_path), dict(ids))
    swapped = dict(ids)
    first, second = list(swapped)[5:7]
    swapped[first], swapped[second] = swapped[second], swapped[first]
    assert graph_key(grammar, swapped) != graph_key(grammar, ids)


PAYLOAD = '''import pickle, pathlib
class Boom:
    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path({marker!r}), "pwned"))
'''


def test_a_crafted_cache_file_is_data_never_code(recognizer: Recognizer, to_hanzi: ToHanzi,
                                                 grammar_path: Path, cache: Path,
                                                 tmp_path: Path, compiled: list[int]) -> None:
    """Someone who can write the cache folder swaps in a pickle that runs code when loaded:
    the next start ignores it (compiles again) and nothing runs."""
    import pickle

    first = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    (stored,) = cache.glob("*.graph")
    marker = tmp_path / "payload-ran"
    namespace: dict[str, object] = {}
    exec(PAYLOAD.format(marker=str(marker)), namespace)  # the attacker's class, in this test
    evil = pickle.dumps(namespace["Boom"]())  # type: ignore[operator]
    for crafted in (evil, evil + stored.read_bytes()):
        stored.write_bytes(crafted)
        again = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
        assert again.graph.same_as(first.graph)
        assert not marker.exists(), "the cache file ran code"
    assert len(compiled) == 3
    assert stored.read_bytes()[:8] == b"LYGRAPH\0"  # stored again as plain arrays


def test_graph_arrays_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    """A file whose checksum was recomputed by whoever crafted it is still checked: an arc into a
    state that does not exist, or an epsilon arc among the consuming ones, is refused."""
    import hashlib

    from asr.graph import EPS, GraphBuilder
    from asr.labels import IntentLabel, SlotValue
    from intents.graph_cache import PREFIX, read_graph, write_graph

    builder = GraphBuilder()
    end = builder.new_state()
    builder.add(0, 5, end, -0.5, SlotValue(26.5, "二十六点五"))
    builder.add(0, EPS, end, 0.0, IntentLabel("home.on"))
    builder.finals.add(end)
    graph = builder.freeze()
    path = tmp_path / "g.graph"
    assert write_graph(path, "k", graph)
    loaded = read_graph(path, "k")
    assert loaded is not None and loaded.same_as(graph) and read_graph(path, "other") is None
    assert loaded.arcs(0) == [(EPS, end, 0.0, IntentLabel("home.on")),
                              (5, end, -0.5, SlotValue(26.5, "二十六点五"))]
    good = path.read_bytes()
    magic, version, length, _ = PREFIX.unpack(good[:PREFIX.size])
    targets = good.index(end.to_bytes(4, "little") * 2)  # both arcs lead to ``end``
    consuming = good.rindex((5).to_bytes(4, "little"))  # the arc that hears token 5
    for at, value in ((targets, 9), (consuming, EPS)):
        body = bytearray(good[PREFIX.size:])
        body[at - PREFIX.size:at - PREFIX.size + 4] = value.to_bytes(4, "little", signed=True)
        digest = hashlib.sha256(body).digest()
        path.write_bytes(PREFIX.pack(magic, version, length, digest) + bytes(body))
        assert read_graph(path, "k") is None


def test_a_compiler_and_its_graph_are_freed_after_a_reload(recognizer: Recognizer,
                                                           grammar_path: Path) -> None:
    """Nothing keeps a finished compiler (or the graph it built) alive: a reload frees the old."""
    import gc
    import weakref

    compiler = GraphCompiler(load_grammar(grammar_path), recognizer.model.tokens.ids())
    graph = weakref.ref(compiler.compile())
    gone = weakref.ref(compiler)
    del compiler
    gc.collect()
    assert gone() is None and graph() is None


def test_the_key_is_what_the_grammar_means_not_where_it_is_written(
        recognizer: Recognizer, grammar_path: Path, tmp_path: Path) -> None:
    """A comment, a moved file or another reply keeps the key (nothing to compile); a changed
    sentence or list item changes it."""
    ids = recognizer.model.tokens.ids()
    key = graph_key(load_grammar(grammar_path), ids)
    moved = tmp_path / "elsewhere" / "mine.yaml"
    moved.parent.mkdir()
    (moved.parent / "lists").mkdir()
    (moved.parent / "lists" / "songs.txt").write_text(
        "# my songs\n海阔天空\n\n我的滑板鞋\n", encoding="utf-8")
    text = "# my grammar\n\n" + GRAMMAR.replace("    intent: play\n",
                                                 "    intent: play\n    replies: [好的]\n")
    moved.write_text(text, encoding="utf-8")
    assert graph_key(load_grammar(moved), ids) == key
    moved.write_text(text.replace("来一首", "放一首"), encoding="utf-8")
    assert graph_key(load_grammar(moved), ids) != key


def test_understanders_of_one_grammar_share_its_graph_until_both_are_gone(
        recognizer: Recognizer, to_hanzi: ToHanzi, grammar_path: Path, tmp_path: Path,
        clip, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A reload of an unchanged grammar (a comment edited) reuses the graph in memory; once no
    understander uses a graph it is freed, memory-mapped file and all."""
    import gc
    import weakref

    monkeypatch.setenv("LINGYIN_CACHE_DIR", str(tmp_path / "cache"))
    first = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    second = SpeechUnderstander(recognizer, load_grammar(grammar_path), to_hanzi=to_hanzi)
    assert second.graph is first.graph and second.context is first.context
    samples = load_audio(clip("W0001"))
    assert first.understand(samples) == second.understand(samples)
    graph = weakref.ref(first.graph)
    del first, second
    gc.collect()
    assert graph() is None
