"""Words that only look like numbers, and fillers.

Protected spans are swapped for private-use placeholders before the number rules run and put
back afterwards, so no rule can touch them.
"""

from __future__ import annotations

import re

from intents.itn.chars import CN_NUM, UNIT_RE, D

# Idioms, place names and fixed words containing numerals that must stay as they are.
_WORD_LIST = """
一起 一下 一定 一些 一样 一般 一切 一直 一致 一边 一向 一旦 一再 一并 一律 一味 一同 一齐 一概
一心 一生 一世 一辈子 一面 一方面 一路 一番 一阵 一时 一口气 一会 一会儿 一家人 一头 一道
一共 一体 一流 一系列 一模一样 一本正经 一成不变 一次性 一刀切 一把手 一手 一目了然 一如既往
一干二净 一清二楚 一五一十 一心一意 一点一滴 一丝一毫 一言一行 一举一动 一草一木 一朝一夕
一年四季 一日千里 一日三餐 一天到晚 一年半载 一分为二 一石二鸟 一举两得 一箭双雕 一刀两断
一模 一带一路 一国两制 一视同仁 一言为定 一见钟情 一帆风顺 一无所有 一无所知 一事无成
唯一 统一 万一 之一 第一时间 同一 单一 初一 初二 初三 初四 初五 初六 初七 初八 初九 初十
进一步 更进一步 早一点 晚一点 差一点 有一点 一点儿 一点点 好一点 快一点 慢一点 多一点 少一点
大一点 小一点
三七二十一 九九八十一 九九归一 十三五 十四五 十有八九 八九不离十 三五成群 三三两两 七七八八
三心二意 三番五次 三天两头 三言两语 三长两短 七上八下 乱七八糟 七嘴八舌 五颜六色 五湖四海
四面八方 四通八达 五花八门 六神无主 九牛一毛 九死一生 一毛不拔 万无一失 千千万万 万万 千万
十全十美 十字路口 十字 十足 百里挑一 独一无二 接二连三 不三不四 低三下四 丢三落四
两全其美 两岸 两边 两旁 两者 两极 两性 两口子 两面 三明治 三亚 四川 三峡 五金 八卦
星期一 星期二 星期三 星期四 星期五 星期六 星期日 星期天 周一 周二 周三 周四 周五 周六 周日
礼拜一 礼拜二 礼拜三 礼拜四 礼拜五 礼拜六 礼拜天 礼拜日 第三方 第三者 一元二次 二维码 二手
二胡 二哥 二姐 三哥 三姐 四季 五官 六一 八路 九州 十月怀胎 三十而立 四十不惑 五十知天命
五十步笑百步 十万八千里 一刀
不怕一万 一千零一夜 一年一度 一时半会 一时半刻 十一长假 一部分 十万火急 千钧一发
百万雄师 十三陵 七十二变 八百里加急 三十六计 十八般武艺
九九重阳 一百八十度大转弯 十八罗汉 三十六行 七十二行
"""
# Four-character idioms built from two numerals: 一心一意, 三心二意, 七上八下, 千山万水, 百发百中.
# The characters between the numerals are not units (三个五个), connectives (三到五, 七加八) or
# numerals, so the rule leaves counts and arithmetic alone.
_IDIOM_NUM = "一二三四五六七八九十百千万两"
_NOT_IDIOM = "到至和与跟或及加减乘除比点分又等是的了个之"
_IDIOM = (
    rf"(?<![{CN_NUM}0-9第])[{_IDIOM_NUM}](?![{CN_NUM}{_NOT_IDIOM}]|{UNIT_RE})[\u4e00-\u9fff]"
    rf"[{_IDIOM_NUM}](?![{CN_NUM}{_NOT_IDIOM}]|{UNIT_RE})[\u4e00-\u9fff](?![{CN_NUM}])"
)
# A title in book-title marks is a name: 《一千零一夜》, 《三体》.
_TITLE = "《[^《》]{0,40}》"
_WORDS = _WORD_LIST.split()

_FILLER = re.compile("(?:呃|额呃)+啊*|啊+(?=呃)")
# Approximate numbers with 几 stay spoken: 十几万, 几十万, 二十几.
_JI = rf"[{CN_NUM}]*几[{CN_NUM}]*(?:分之[{CN_NUM}几]+)?"
_PROTECT = re.compile(
    rf"{_TITLE}|{_IDIOM}|{_JI}|(?<![点{D}十差过])十分(?![之钟])|一一(?=[\u4e00-\u9fff])(?![{CN_NUM}])|"
    rf"(?<![{CN_NUM}分])(?:{'|'.join(sorted(set(_WORDS), key=len, reverse=True))})"
    rf"(?![{CN_NUM}到至]|[点分](?=[{D}十]))"
)
_BASE = 0xE000
_PLACEHOLDER = re.compile("[\ue000-\uf8ff]")


def drop_fillers(text: str) -> str:
    """Remove hesitation fillers (呃, 呃啊); a lone 啊 is a sentence particle and stays."""
    return _FILLER.sub("", text) if "呃" in text else text


def protect(text: str) -> tuple[str, list[str]]:
    """Swap protected spans for placeholders; returns the text and the spans in order."""
    spans: list[str] = []

    def hide(m: re.Match[str]) -> str:
        spans.append(m.group())
        return chr(_BASE + len(spans) - 1)

    return _PROTECT.sub(hide, text), spans


def restore(text: str, spans: list[str]) -> str:
    if not spans:
        return text
    return _PLACEHOLDER.sub(lambda m: spans[ord(m.group()) - _BASE], text)
