"""Character tables and regular-expression fragments shared by the ITN rules."""

from __future__ import annotations

# Digit characters (spoken, phone-style and financial forms) and their values.
DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "洞": 0,
    "一": 1, "幺": 1, "壹": 1,
    "二": 2, "两": 2, "兩": 2, "贰": 2, "貳": 2,
    "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "拐": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12}
TENS: dict[str, int] = {"廿": 20, "卅": 30}

# Digits that may appear in running text as numbers (洞/拐/幺 only inside digit strings).
D = "零〇一二两兩三四五六七八九幺洞拐壹贰貳叁參肆伍陆陸柒捌玖"
D_PLAIN = "零〇一二两三四五六七八九"
MAG = "十拾百佰千仟万萬亿億"
CN_NUM = D + MAG + "廿卅"
# A numeral character; 千 before 克/米/瓦 is the unit prefix (千克, 千米, 千瓦), and 兆 is
# 10^12 only inside a longer number (一兆零三百万), never at the end (五百兆 = 500 MB).
_NUM_CHAR = rf"(?:[{CN_NUM.replace('千', '')}]|千(?![克米瓦])|兆(?=[{CN_NUM}]))"
# One run of Chinese numerals, optionally led by Arabic digits that a magnitude follows
# (``100万``, ``2.5亿``), and optionally a decimal part.
RUN = (
    rf"(?:[0-9]+(?:\.[0-9]+)?(?=[{MAG}]))?"
    rf"{_NUM_CHAR}(?:{_NUM_CHAR}|[0-9]+)*"
    rf"(?:点[{D}0-9]+[万萬亿億]?)?"
)
CJK = "\u4e00-\u9fff"

# Words that classify or measure: a lone digit before one of these is a number.
# Longest first so the alternation prefers 千克 over 千.
_UNIT_WORDS = """
    个 位 名 人 次 回 遍 趟 年 岁 月 日 号 天 周 星期 礼拜 小时 钟头 分钟 分 秒 点钟 毫秒
    元 块 美元 欧元 英镑 日元 港元 港币 澳元 韩元 卢布 人民币 新台币 美金 法郎
    米 厘米 毫米 公里 千米 里 英里 海里 公分 寸 尺 丈 亩 公顷 平米 平方米 平方公里 平方 立方米
    克 千克 公斤 斤 两 吨 毫克 磅 盎司 升 毫升 瓦 千瓦 千瓦时 伏 伏特 安 度 摄氏度 华氏度
    摩尔 赫兹 分贝 倍 层 楼 首 张 本 条 件 只 台 辆 部 瓶 杯 碗 盘 份 页 章 节 集 段 所 间 套
    双 对 头 支 把 盒 包 袋
    箱 步 级 期 届 户 座 栋 篇 字 句 行 局 场 轮 站 种 类 项 成 折 颗 粒 片 根 棵 朵 匹 枚
    封 架 艘 题 格 档 挡 班 号线 秒钟 季度 世纪 代 帧 像素 个百分点 百分点 点
    個 歲 號 週 禮拜 小時 鐘頭 分鐘 點鐘 塊 美金 公裡 英裡 釐米 噸 毫克 升 瓦 伏 度
    層 樓 張 條 隻 臺 台 輛 瓶 盤 頁 節 雙 對 頭 盒 袋 場 輪 站 種 類 項 顆 級 屆 戶 間 題 檔
"""
# 角, 毛 (money) and 刻 (quarter hour) are not here on purpose: 八角 (star anise), 五角星, 三毛,
# 一刻钟 and 此刻 are words; money with 毛/角 and clock times with 刻 have their own rules.
UNITS = sorted(set(_UNIT_WORDS.split()), key=len, reverse=True)
UNIT_RE = "|".join(UNITS)

# Currency words written after the amount, as spoken.
CURRENCIES = (
    "人民币|美元|美金|欧元|英镑|日元|港元|港币|澳元|韩元|卢布|新台币|加元|法郎|马来西亚令吉|泰铢"
)

# Times of day: a leading period word shifts the hour to the 24-hour clock.
PERIODS = (
    "凌晨|清晨|早晨|早上|上午|中午|午后|下午|傍晚|晚上|夜里|夜晚|半夜|午夜|深夜|晚间|"
    "今早|明早|昨早|今晚|明晚|昨晚|早|晚"
)
PM_PERIODS = frozenset(
    ("午后", "下午", "傍晚", "晚上", "夜里", "夜晚", "晚间", "深夜", "今晚", "明晚", "昨晚", "晚")
)
MIDNIGHT_PERIODS = frozenset(("凌晨", "半夜", "午夜"))
KEEP_PERIODS = frozenset(("今早", "明早", "昨早", "今晚", "明晚", "昨晚"))

# Characters that carry no text: zero-width space/joiners, word joiner, BOM, soft hyphen, marks.
INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
