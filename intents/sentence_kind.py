"""Is a sentence asked as a question, or does it say *not* to do something?

A command matched by its words alone would perform 窗帘关了吗 ("are the curtains closed?") and
不要关灯 ("don't turn off the light"). :func:`sentence_kind` finds the markers; the matcher then
lets a question match only an intent declared ``question: true`` and a negation only an intent
whose own sentences contain that negation word with the character after it (不用了 → 取消,
别放了 → 暂停; 不开灯 is not 能不能开灯).

Polite requests are not questions: 能不能开灯, 可以帮我开灯吗, 开一下灯好吗.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# softeners that end a request, removed before looking for a question
_POLITE_TAIL = re.compile(r"(好吗|好不好|可以吗|可以不|行吗|行不行|成吗|好么|谢谢|谢谢你)+$")
# words that make a sentence ending in 吗 a request: 你能把灯关了吗, 可以帮我开灯吗
_REQUEST = re.compile(r"(能不能|可不可以|能否|可否|可以|能帮|帮我|帮忙|麻烦|请|能把|能给|"
                      r"你能|你可以|能不能够|可以帮)")
_QUESTION = re.compile(
    r"(吗|(?<![什怎这那])么|没有|没)$"          # 灯开着吗, 关了没有, 开着没
    r"|[?？]"
    r"|是不是|是否|有没有|哪些|哪个|哪几|多少|几[点号度个]|怎么样|怎样|如何"
    r"|([^能可行好要\W])[没不]\2"   # 开没开, 下不下雨 (A不A / A没A; not 能不能, 要不要)
)
_NEGATION = re.compile(
    r"(不要|不用|不想|不需要|不必|没必要|甭|不准|不许|禁止|千万别|先别|"
    r"(?<![特分区告类级识性个差辨])别(?![的人处])|"
    r"不(?=[开关打放播调设锁拉启升降加减换切叫取停]))")


@dataclass(frozen=True)
class SentenceKind:
    question: str = ""  # the question marker found, "" when it is not asked as a question
    negation: str = ""  # the negation word and the character after it (别放), or ""

    @property
    def plain(self) -> bool:
        return not self.question and not self.negation


def sentence_kind(text: str) -> SentenceKind:
    body = re.sub(r"[\s，,。.!！、~～]+", "", text)
    return SentenceKind(_question(body), _negation(body))


def _question(body: str) -> str:
    tail = _POLITE_TAIL.sub("", body)
    found = _QUESTION.search(tail.rstrip("呢啊呀哦"))
    if found is None:
        return ""
    marker = found.group(0)
    if marker in ("吗", "么") and _REQUEST.search(tail):
        return ""  # 你能帮我开灯吗: a request
    return marker


def _negation(body: str) -> str:
    found = next((m for m in _NEGATION.finditer(body) if not _a_not_a(body, m.start())), None)
    if found is None:
        return ""
    word = found.group(0)
    word = "别" if word.endswith("别") else word  # 先别, 千万别 → 别
    return word + body[found.end():found.end() + 1]  # with what it negates: 别放, 不用了


def _a_not_a(body: str, at: int) -> bool:
    """要不要, 用不用: a choice question, not a negation."""
    return (at > 0 and body[at] in "不没" and at + 1 < len(body)
            and body[at - 1] == body[at + 1])


def allows(kind: SentenceKind, question_intent: bool, words: str) -> str:
    """Why an intent may not take a sentence of this kind ("" when it may): ``words`` is the
    literal text of the intent's own sentences."""
    if kind.question and not question_intent:
        return f"question:{kind.question}"
    if kind.negation and kind.negation not in words and f"{kind.negation[:-1]}|" not in words:
        return f"negation:{kind.negation}"
    return ""
