"""De-identifying free text (reviewers' and citizens' comments) before anyone reads it.

What is masked, each by a label in 【】 that says what stood there:
- mainland mobile numbers (138 1234 5678, +86-13812345678) and landlines with an area code
  (027-84567890, (027)84567890, 02784567890), and any digits after 电话/手机/座机/联系方式;
- 18-character ID numbers (a checksum X included) and digits after 身份证;
- e-mail addresses; URLs (http://, https://, www.);
- licence plates (鄂A12345, 鄂A·12345, new-energy 鄂AD12345);
- any other run of 12 or more digits (bank cards, account numbers): nothing public is that long;
- a name given after 我叫 / 本人 / 联系人 / 姓名 / 名叫 when it starts with a common surname.

What must survive, because it carries the meaning and identifies nobody: dates (2017年5月15日,
2017-05-15, 2017.5.15), amounts (1500元, 3.5万元), counts (跑了3趟), unit and place names, and the
public service numbers people cite (the 12345 and 12315 hotlines, 110, 95598): short numbers are
institutions' numbers, not people's, so they are kept.

Pure functions on strings; the patterns are tried in the order of PATTERNS (the most specific first,
so a plate's digits are never read as a phone number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Not a digit or ASCII letter on either side: a number inside a longer number is not a phone number.
_NO_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NO_DIGIT_AFTER = r"(?![0-9A-Za-z])"
_SEP = r"[-\s]?"

MOBILE = re.compile(_NO_DIGIT_BEFORE + r"(?:(?:\+|00)?86[-\s]?)?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}"
                    + _NO_DIGIT_AFTER)
LANDLINE = re.compile(_NO_DIGIT_BEFORE + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[-\s]?)[2-9]\d{6,7}"
                      r"(?:[-转]\d{1,5})?" + _NO_DIGIT_AFTER)
ID_NUMBER = re.compile(_NO_DIGIT_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                       r"\d{3}[\dXx]" + _NO_DIGIT_AFTER)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTER = "A-HJ-NP-Z"
PLATE = re.compile(f"[{PROVINCES}][{PLATE_LETTER}][·•.\\s]?(?:[{PLATE_LETTER}0-9]{{5,6}}|[{PLATE_LETTER}0-9]{{4}}"
                   "[挂学警港澳])" + f"(?![{PLATE_LETTER}0-9a-z])")
KEYWORD_ID = re.compile(r"(身份证(?:号码|号)?[：:\s]*)([0-9Xx*]{6,18})")
KEYWORD_PHONE = re.compile(r"((?:电话|手机|座机|联系方式|联系电话|手机号|电话号码?)[：:\s]*(?:是|为)?[：:\s]*)"
                           r"(\+?[0-9][0-9\-\s]{5,16}[0-9](?:转\d{1,5})?)")
LONG_DIGITS = re.compile(_NO_DIGIT_BEFORE + r"\d{12,}" + _NO_DIGIT_AFTER)
# The hundred commonest surnames cover most people; a name is 1-2 characters after the surname.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
            "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
NAME = re.compile(f"((?:我叫|本人|联系人|姓名|名叫)[：:\\s]*)([{SURNAMES}][\u4e00-\u9fa5]{{1,2}}?)"
                  "(?=[，,。；;、\\s（(]|电话|手机|联系|反映|投诉|举报|在|于|到|去|是|$)")

LABELS = {"url": "【网址】", "email": "【邮箱】", "id": "【身份证号】", "plate": "【车牌】", "phone": "【电话】",
          "number": "【号码】", "name": "【姓名】"}
# (kind, pattern, group kept before the masked part: 0 = mask the whole match)
PATTERNS: tuple[tuple[str, re.Pattern, int], ...] = (
    ("url", URL, 0),
    ("email", EMAIL, 0),
    ("id", KEYWORD_ID, 1),
    ("id", ID_NUMBER, 0),
    ("plate", PLATE, 0),
    ("phone", KEYWORD_PHONE, 1),
    ("phone", MOBILE, 0),
    ("phone", LANDLINE, 0),
    ("number", LONG_DIGITS, 0),
    ("name", NAME, 1),
)
MASK = re.compile("|".join(re.escape(label) for label in LABELS.values()))


def _replace(kind: str, keep_group: int):
    label = LABELS[kind]
    if keep_group:
        return lambda m: m.group(keep_group) + label
    return lambda m: label


def mask_text(text: str) -> str:
    """The text with every personal identifier replaced by its label (see the module doc)."""
    if not text:
        return ""
    for kind, pattern, keep in PATTERNS:
        text = pattern.sub(_replace(kind, keep), text)
    return text


def masked_kinds(text: str) -> set[str]:
    """Which kinds of identifier `mask_text` would hide in `text` (for counts and tests)."""
    found = set()
    for kind, pattern, _ in PATTERNS:
        if pattern.search(text):
            found.add(kind)
        text = pattern.sub(" ", text)
    return found


def without_masks(text: str) -> str:
    """The text with the mask labels taken out, for segmentation: 【电话】 is not what a comment is about."""
    return MASK.sub(" ", text)


def mask_all(texts: Iterable[str]) -> list[str]:
    return [mask_text(t) for t in texts]


# ---------------------------------------------------------------------------------------
# Other units' names (a letter to one unit names no other)

_NAME_PARTS = re.compile(r"[()（）、]")
_NAME_ENDINGS = ("局", "办", "社", "公司", "部", "委", "院", "所", "中心")
OTHER_UNIT = "某单位"


def unit_aliases(name: str) -> set[str]:
    """A unit's full name and the names inside it long enough to be one on their own
    (区公安分局(区交管局) -> 区公安分局, 区交管局); short generic parts (区委, 工委) are left out."""
    parts = {p.strip() for p in _NAME_PARTS.split(name)}
    return {name} | {p for p in parts if len(p) >= 4 and p.endswith(_NAME_ENDINGS)}


def redact_units(text: str, *, own: Iterable[str], others: Iterable[str]) -> str:
    """`text` with other units' names replaced by 某单位, the unit's own names kept (区财政局 is part of
    区财政局(区金融工作局): inside the own name it stays)."""
    own = sorted(set(own), key=len, reverse=True)
    others = sorted(set(others) - set(own), key=len, reverse=True)
    if not others:
        return text
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    if own:
        text = re.sub("|".join(re.escape(n) for n in own), keep, text)
    text = re.sub("|".join(re.escape(n) for n in others), OTHER_UNIT, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
