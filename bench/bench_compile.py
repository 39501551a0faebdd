"""Grammar compile benchmark: a grammar with two lists of 5,000 items each (§1: ≤ 1 s, ≤ 50 MB).

The items are generated deterministically (Chinese personal names for contacts, 2–6 character
titles for songs), written to a temporary lists folder, then the grammar is loaded (YAML, lists,
checks) and compiled into the token graph over the model's tokens. Times load and compile
separately; peak Python memory by tracemalloc, and the growth of the resident set.
Usage: .venv/bin/python bench/bench_compile.py [--items 5000] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.tokens import TokenTable
from bench.common import rss_mb

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
            "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
            "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文斌宇"
         "浩凯晨欣怡梓涵子轩雨萱思远嘉琪俊杰雅婷博文诗涵天佑")
VOCAB_SIZE = 197  # the default model's joiner outputs
TITLE = ("爱情月光春天海风梦想花开心中故乡星空雨夜青春时光远方回忆微笑眼泪幸福自由蓝色天空少年温柔"
         "城市夏天秋叶冬雪彩虹旅行")

GRAMMAR = """language: zh-CN
skip_words: [请, 帮我, 一下, 吧]
slots:
  contact: {list: contacts}
  song: {list: songs}
  phone: {digits: [3, 11]}
  volume: {range: [0, 100], unit: "%"}
intents:
  - domain: telephone
    intent: call
    sentences: ["(给|打给){contact}打[个]电话", "(呼叫|拨打){contact}", "拨打{phone}"]
  - domain: music
    intent: play
    sentences: ["(播放|我想听|来一首)[歌曲]{song}"]
  - domain: volume
    intent: set
    sentences: ["[把]音量(调|设)到{volume}"]
"""


def generated(kind: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    items: dict[str, None] = {}
    while len(items) < count:
        if kind == "contacts":
            given = "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            name = rng.choice(SURNAMES) + given
        else:
            name = "".join(rng.choice(TITLE) for _ in range(rng.randint(2, 6)))
        items[name] = None
    return list(items)


def write_grammar(folder: Path, count: int) -> Path:
    (folder / "lists").mkdir()
    (folder / "grammar.yaml").write_text(GRAMMAR, encoding="utf-8")
    for seed, kind in enumerate(("contacts", "songs")):
        (folder / "lists" / f"{kind}.txt").write_text(
            "\n".join(generated(kind, count, seed)) + "\n", encoding="utf-8")
    return folder / "grammar.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of compiling")
    args = parser.parse_args()
    from asr import settings
    from asr.manifest import Manifest
    from intents.compile import compile_grammar
    from intents.grammar import load_grammar

    tokens = TokenTable.load(settings.model_dir() / Manifest.load().roles["tokens"], VOCAB_SIZE)
    ids = tokens.ids()
    import pypinyin  # loaded by the app at start anyway: its start-up is not part of the figure

    pypinyin.pinyin("预热")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_grammar(Path(tmp), args.items)
        # first pass: time only (tracemalloc slows allocation-heavy code several times over)
        began = time.perf_counter()
        grammar = load_grammar(path)
        loaded = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        graph = compile_grammar(grammar, ids)
        done = time.perf_counter()
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
        del grammar, graph
        # second pass: memory (the readings cache is warm now: the figure is the graph's own)
        gc.collect()
        rss_before = rss_mb()
        tracemalloc.start()
        grammar = load_grammar(path)
        graph = compile_grammar(grammar, ids)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = rss_mb()
    print(f"grammar with 2 lists of {args.items} items: load {loaded - began:.2f} s, "
          f"compile {done - loaded:.2f} s, total {done - began:.2f} s (target ≤ 1 s); "
          f"graph {graph.num_states} states, {graph.num_arcs} arcs")
    print(f"peak traced Python memory {peak / 2**20:.1f} MB (target ≤ 50 MB); "
          f"RSS growth {rss_after - rss_before:.1f} MB")

if __name__ == "__main__":
    main()
