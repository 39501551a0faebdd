"""Intent matcher benchmark: 50 intents, lists of 5,000 contacts and 5,000 songs (generated
deterministically), milliseconds per sentence for exact, fuzzy and rejected inputs.

    .venv/bin/python bench/bench_matcher.py [--sentences 400] [--items 5000]

The grammar is written to a temporary folder and loaded like a user's. Load time and the
one-off compilation of every stage are printed separately from the per-sentence figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from intents.grammar import load_grammar
from intents.matcher import Matcher

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国文辉力峰鑫宇浩然子轩梓涵欣怡佳琪思远博文晨雨嘉宁志鹏晓东海燕丹凤春梅金凤立新永"  # noqa: E501
WORDS = "爱情月亮星空夜晚春天故乡梦想时光青春少年远方海洋阳光雨天花开风吹心跳回忆未来明天彩虹城市森林山河岁月告白温柔晴天"  # noqa: E501
# Near-homophones a recogniser confuses, used to spoil names in the fuzzy inputs.
CONFUSIONS = {"张": "章", "三": "山", "伟": "为", "芳": "方", "静": "晶", "明": "名", "华": "花",
              "军": "君", "平": "萍", "国": "过", "文": "闻", "海": "还", "东": "冬", "梦": "蒙",
              "星": "心", "月": "乐", "天": "田", "爱": "哎", "情": "晴", "光": "关"}


def names(rng: random.Random, count: int, make: Callable[[], str]) -> list[str]:
    out: dict[str, None] = {}
    while len(out) < count:
        out[make()] = None
    return list(out)


def write_grammar(root: Path, items: int) -> tuple[list[str], list[str]]:
    rng = random.Random(0)
    contacts = names(rng, items, lambda: rng.choice(SURNAMES) + "".join(
        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
    pairs = [WORDS[i:i + 2] for i in range(0, len(WORDS) - 1, 2)]
    songs = names(rng, items, lambda: "".join(
        rng.choice(pairs) for _ in range(rng.choice((1, 2, 3)))))
    (root / "lists").mkdir(parents=True)
    (root / "lists" / "contacts.txt").write_text("\n".join(contacts) + "\n", encoding="utf-8")
    (root / "lists" / "songs.txt").write_text("\n".join(songs) + "\n", encoding="utf-8")
    lines = ["skip_words: [请, 帮我, 麻烦, 一下, 吧, 呢, 嗯, 啊]",
             "rules:", "  打开: '(打开|开启|启动)'",
             "slots:", "  contact: {list: contacts}", "  song: {list: songs}",
             "  n: {range: [0, 100]}", "  t: {range: [16, 30], step: 0.5, unit: 度}",
             "  phone: {digits: [3, 11]}", "  q: {wildcard: true}", "intents:"]
    specs = [
        ("phone", "call", ["(给|打给){contact}打[个|一个]电话", "(呼叫|打电话给){contact}"]),
        ("message", "send", ["给{contact}发(消息|短信)说{q}"]),
        ("music", "play", ["(播放|我想听|来一首){song}", "放[一首]{song}"]),
        ("phone", "dial", ["拨打[号码]{phone}"]),
        ("climate", "set", ["空调(调|设)到{t}"]),
        ("search", "web", ["(搜索|搜一下){q}"]),
    ]
    devices = ["灯", "电视", "空调", "风扇", "窗帘", "加湿器", "净化器", "扫地机", "热水器",
               "音箱", "投影仪", "门锁", "冰箱", "烤箱", "电饭煲", "洗衣机", "摄像头",
               "路由器", "暖气", "新风"]
    for i, device in enumerate(devices):
        specs.append(("device", f"on_{i}", [f"<打开>[客厅的]{device}", f"把{device}(打开|开了)"]))
        specs.append(("device", f"off_{i}", [f"(关闭|关掉)[客厅的]{device}",
                                             f"把{device}(关掉|关了)"]))
    settings = ["音量", "亮度", "风速", "对比度"]
    for i, name in enumerate(settings):
        specs.append(("setting", f"set_{i}", [f"[把]{name}(调|设)到{{n}}"]))
    while len(specs) < 50:
        k = len(specs)
        specs.append(("misc", f"m{k}", [f"(查询|看看)第{k}号(信息|状态)"]))
    for domain, intent, sentences in specs[:50]:
        lines += [f"  - domain: {domain}", f"    intent: {intent}",
                  "    sentences: [" + ", ".join(f"'{s}'" for s in sentences) + "]"]
    (root / "grammar.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return contacts, songs


def inputs(contacts: list[str], songs: list[str], n: int) -> dict[str, list[str]]:
    rng = random.Random(1)

    def spoil(names: list[str]) -> str:
        """A name with one character swapped for a near-homophone."""
        name = rng.choice([n for n in names if any(c in CONFUSIONS for c in n)])
        spots = [i for i, c in enumerate(name) if c in CONFUSIONS]
        i = rng.choice(spots)
        return name[:i] + CONFUSIONS[name[i]] + name[i + 1:]

    exact = [rng.choice([f"给{rng.choice(contacts)}打个电话", f"播放{rng.choice(songs)}",
                         "把灯打开", "打开客厅的空调", "音量调到三十", "空调调到二十六点五度",
                         "拨打幺三八零零一三八零零零", f"搜索{rng.choice(songs)}歌词"])
             for _ in range(n)]
    fuzzy = [rng.choice([f"请给{spoil(contacts)}打个电话吧", f"帮我播放一下{spoil(songs)}",
                         "麻烦把登打开", "音量跳到三十", f"呼叫{spoil(contacts)}"])
             for _ in range(n)]
    rejected = [rng.choice(["今天股市怎么样", "我想吃火锅", "这本书很好看", "明天要下雨吗",
                            "他们去哪里了"]) for _ in range(n)]
    return {"exact": exact, "fuzzy": fuzzy, "rejected": rejected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        contacts, songs = write_grammar(Path(tmp), args.items)
        started = time.perf_counter()
        grammar = load_grammar(Path(tmp) / "grammar.yaml")
        loaded = time.perf_counter()
        matcher = Matcher(grammar)
        matcher.warm()
        matcher.match("热身")
        warm = time.perf_counter()
    print(f"grammar: {len(grammar.intents)} intents, lists of {args.items} contacts and "
          f"{args.items} songs; load {1000 * (loaded - started):.0f} ms, "
          f"compile all stages {1000 * (warm - loaded):.0f} ms")
    print(f"{'input':<10}{'n':>6}{'mean ms':>10}{'p95 ms':>10}{'max ms':>10}{'matched':>10}")
    for kind, texts in inputs(contacts, songs, args.sentences).items():
        times, matched = [], 0
        for text in texts:
            t0 = time.perf_counter()
            result = matcher.match(text)
            times.append(1000 * (time.perf_counter() - t0))
            matched += result is not None
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{kind:<10}{len(times):>6}{statistics.mean(times):>10.3f}{p95:>10.3f}"
              f"{times[-1]:>10.3f}{matched / len(times):>10.0%}")


if __name__ == "__main__":
    main()
