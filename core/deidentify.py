"""De-identifying free text (reviewers' and citizens' comments) before anyone reads it.

Matching is done on a working copy of the text: Unicode NFKC (full-width digits, letters, ＠, ：, （）
become ASCII), every dash (—, –, ——, －) read as "-", and a run of five or more Chinese digits
(一三八…, 幺 and 两 included) read as digits. The copy has the same length as the text, or a map back
to it, so the text returned is what the person wrote (full width and all), only the masked parts
replaced by their label.

What is masked, each by a label in 【】 that says what stood there (LABELS):
- 【电话】 mobile numbers with any grouping and separator (138 1234 5678, 138.1234.5678, 138—1234—5678,
  1 3 8 1 2 3 4 5 6 7 8, 一三八…, +86 / 0086 / (+86)), also glued to letters or Chinese (tel13812345678,
  电话13812345678); landlines with an area code ((027)8456 7890, 027—84567890转123); and after
  电话 / 手机 / 座机 / 联系 / 号码 / tel / phone ..., a number someone answers: 7-8 digits, 10-11 starting
  with 1, or an area code and a local number. A count written after it (电话138… 3次) is not taken;
- 【身份证号】 18-character ID numbers (spaces allowed; the birth date must be a date) and any number
  after 身份证 / 证件号 (15-digit old ones, partly starred ones);
- 【证件号】 numbers after 护照 / 通行证 / 驾驶证 / 居住证 / 社保(卡)号 / 医保(卡)号 / 社会保障号 /
  公积金账号 ..., and passport shapes on their own (E12345678, G12345678, EA1234567);
- 【工号】 numbers after 工号 / 员工号 / 警号 / 执法证号 / 胸牌号 (staff are people too);
- 【号码】 bank cards and accounts: 16-19 digits in groups of four (a card starts with 3-9: a row of
  years is no card), UnionPay 62… in any grouping, anything after 银行卡 / 卡号 / 账号 / 户号, and any
  other run of 12 or more digits (nothing public is that long);
- 【微信号】 a WeChat id after 微信 / 微信号 / 威信 / vx / wx / v信 / 加v: a letter then five or more
  letters, digits, _ or - (not a word such as payment), or a number of 6-13 digits;
- 【QQ号】 5-11 digits after QQ / 扣扣 / 企鹅号 (QQ群 too); 【邮箱】 e-mail addresses, 123456@qq.com
  included; 【网址】 URLs;
- 【车牌】 licence plates in either case and with ·, -, . or a space (鄂a12345, 鄂A-12345, 湘B 8K3M9):
  a province, a letter and 5-6 letters or digits, at least three of them digits;
- 【住址】 the building / unit / room of a home (3栋2单元501, 5号楼1203室, 2号院3号楼, 3-2-501,
  2单元5号, 4组27号), with a gate number glued to it (…大道88号3栋…). Two parts are a home unless a
  public place comes right before (政务服务中心, 局, 医院, 大厦 ...: PUBLIC_PLACES); one part, or
  3-501, only right after a residence (小区, 花园, 苑 ...) or in a clause that says 家住 / 住在 / 我家;
  a road number (…路18号, 门牌号18号) only in such a clause. The community's name is kept: the
  comment is often about it (小区停水), and alone it points to thousands of people;
- 【姓名】 a name (one of about 250 single or 50 compound surnames and one or two characters) after
  我叫 / 姓名 / 联系人 / 签名 / 投诉人 ..., and, more carefully, after 我是 / 本人 / 鄙人 / 在下 / 我母亲 ...:
  only when a pause, a particle, a contact word or a verb like 反映 follows, and never a word from
  the stop-lists in core.deidentify_tables (我是周末来的, 我是武汉人, 我是个体户, 本人谢绝);
  我姓王 masks the surname.

What must survive, because it carries the meaning and identifies nobody: dates and times
(2017年5月15日, 2017-05-15, 2017.5.15, 2017/5/15, 9:30, 14点30分), amounts, counts and percentages
(1500元, ¥200, 3.5万元, 跑了3趟, 95%), amounts after a keyword (账户20000元), unit and place names, road
numbers of public places (东风大道1号), windows and public buildings (3号窗口, 政务服务中心3号楼),
document numbers (〔2017〕15号), the short public numbers people cite (12345, 12315, 110, 120, 95598,
10086, 12366) and companies' 400 / 800 numbers (they identify a company, not a person), a surname with
a title (王女士, 张某某: not a full name), a phone's last digits (尾号5678), and words that only contain
微信 / QQ / 我是 (微信上办理很方便, 微信公众号, 我是来办证的).

Already masked text is left alone, so masking twice changes nothing more. Pure functions on strings;
the patterns are compiled once and tried in the order of RULES (keywords first, then shapes, so a
plate's digits are never read as a phone number); a part masked by one rule is blanked in the working
copy, so no later rule sees it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.deidentify_tables import (
    COMPOUND_SURNAMES,
    CONTACT_WORDS,
    HOME_WORDS,
    NOT_A_NAME,
    NOT_CHAT_IDS,
    NOT_IN_GIVEN_NAME,
    NOT_IN_GIVEN_NAME_AFTER_WEAK,
    PUBLIC_PLACES,
    RELATIVES,
    RESIDENCES,
    ROLE_ENDINGS,
    SINGLE_SURNAMES,
    STRONG_INTROS,
)

LABELS = {"url": "【网址】", "email": "【邮箱】", "id": "【身份证号】", "document": "【证件号】", "staff": "【工号】",
          "wechat": "【微信号】", "qq": "【QQ号】", "plate": "【车牌】", "phone": "【电话】", "number": "【号码】",
          "address": "【住址】", "name": "【姓名】"}
MASK = re.compile("|".join(re.escape(label) for label in LABELS.values()))
BLANK = "\ue000"  # a private-use character: stands in the working copy for what is already masked

# ---------------------------------------------------------------------------------------
# The working copy

_DASHES = str.maketrans(dict.fromkeys("—–―‒−‐", "-"))
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九幺两", "0012345678912")
_COMBINING = re.compile("[\u0300-\u036f\u1100-\u11ff\u1ab0-\u1aff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f]")
_CHINESE_DIGIT_RUN = re.compile("[〇零一二三四五六七八九幺两](?:[ -]?[〇零一二三四五六七八九幺两]){4,}")


def _working_copy(text: str) -> tuple[str, list[int] | None]:
    """The text as matched, and for each of its characters the index in `text` (None: the same)."""
    norm = unicodedata.normalize("NFKC", text)
    origin = None
    # A map is needed only when NFKC changed a length: one character into several (㎡ -> m2) or a
    # character and its combining mark into one. Full-width ，１Ａ become one character each.
    if len(norm) != len(text) or _COMBINING.search(text):
        pieces, origin = [], []
        for k, ch in enumerate(text):
            piece = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
            pieces.append(piece)
            origin.extend([k] * len(piece))
        norm = "".join(pieces)
    work = _CHINESE_DIGIT_RUN.sub(lambda m: m.group().translate(_CHINESE_DIGITS), norm.translate(_DASHES))
    return work, origin


# ---------------------------------------------------------------------------------------
# Numbers

# What people put between the digits of a number. Not "/": it stands between two numbers (138.../139...).
_SEP = r"(?:\s?(?:-{1,2}|[.·•_~])\s?|\s{1,2})?"
_START = r"(?<!\d)(?<!\d[-.·•_~])"  # not inside a longer number (2017.10.15 is no start)
_END = r"(?!\d)(?!-?[-.·•_~]\d)"
_SAY = r"\s*(?:是|为)?\s*[:.=]?\s*"  # between a keyword and its value: 电话：, 微信号是, Tel.

MOBILE = re.compile(_START + rf"(?:(?:\+|00)?86{_SEP}|\(\+?86\)\s?)?1{_SEP}[3-9](?:{_SEP}\d){{9}}" + _END)
LANDLINE = re.compile(rf"(?:\(0\d{{2,3}}\)\s?-?\s?|{_START}0\d{{2,3}}{_SEP})[2-9](?:{_SEP}\d){{6,7}}"
                      r"(?:\s?(?:转|ext\.?|分机)\s?\d{1,5})?" + _END)
ID_NUMBER = re.compile(r"(?<![\dA-Za-z])[1-9](?:[ -]?\d){16}[ -]?[\dXx](?![\dA-Za-z])")
PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?:[EeGg]\d{8}|[Ee][A-Za-z]\d{7})(?![A-Za-z0-9])")
# Cards start with 3-6 (Amex, Visa, Mastercard, UnionPay 62) or 9: 2016 2017 2018 2019 is four years.
CARD = re.compile(r"(?<![\d-])[3-9]\d{3}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?(?![\d-])")
UNIONPAY = re.compile(r"(?<![\d-])62\d{2,5}(?:[ -]?\d{2,8}){2,5}(?![\d-])")  # 622202 1234567890 123: 16-19 digits
LONG_DIGITS = re.compile(r"(?<!\d)\d{12,}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+\s?@\s?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|\d{5,11}@qq(?![A-Za-z])",
                   re.IGNORECASE)
# No , ; ! ( ): after NFKC a full-width comma or bracket right after the address would be read as part of it.
URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@$&+=%]+", re.IGNORECASE)
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(rf"[{PROVINCES}]\s?[A-Za-z](?:\s?[·•.-]\s?|\s)?(?:[A-Za-z0-9]{{5,6}}|[A-Za-z0-9]{{4}}[挂学警港澳领])"
                   r"(?![A-Za-z0-9])")


def _keyword(words: str, value: str, flags: int = 0) -> re.Pattern:
    """A keyword (kept) and the value after it (group "v", masked). An ASCII keyword must not end a
    word (hotel); a Chinese one may follow anything."""
    return re.compile(rf"(?:{words}){_SAY}(?P<v>{value})", flags)


_NOT_AMOUNT = r"(?!\s?[元块万亿%岁天个次年月日])"  # 账户20000元, 医保卡12000元: an amount, not a number
_NUMBER_CHAIN = rf"\+?\d(?:{_SEP}\d){{4,29}}(?!\d){_NOT_AMOUNT}"
_EXTENSION = r"\s?(?:转|ext\.?|分机)\s?\d{1,5}"
KEYWORD_ID = _keyword(r"公民身份号码|身份证(?:号码|号)?|证件号码?|身份号码?", r"\d(?:[ -]?[\dXx*]){5,17}(?![\dA-Za-z])")
KEYWORD_DOCUMENT = _keyword(
    r"(?:护照|港澳通行证|通行证|台胞证|回乡证|驾驶证|驾照|居住证|军官证)(?:号码|号)?|(?<![A-Za-z])passport(?:\s?no\.?)?"
    r"|(?:社保|医保)卡?(?:号码|账号|帐号|编号|号)|社保卡|医保卡|社会保障(?:卡)?(?:号码|号)?|公积金(?:账号|帐号|号码|号)",
    r"[A-Za-z]{0,2}\d(?:[ -]?[A-Za-z0-9]){4,39}(?![A-Za-z0-9])" + _NOT_AMOUNT, re.IGNORECASE)
KEYWORD_STAFF = _keyword(r"员工编号|员工号|工号|警号|警官证号|执法证(?:编号|号)|执法编号|胸牌号|工牌号|坐席号|座席号",
                         r"[A-Za-z]{0,3}\d(?:[ -]?\d){1,11}(?![\dA-Za-z])" + _NOT_AMOUNT)
KEYWORD_ACCOUNT = _keyword(r"银行(?:卡号|卡|账号|帐号|账户|帐户)|卡号|账号|帐号|账户|帐户|户号|缴费号|用户号|客户号",
                           rf"{_NUMBER_CHAIN}|[A-Za-z][A-Za-z0-9_.@-]{{5,29}}(?![A-Za-z0-9_.@-])")
# An id is 6-20 characters, but a longer token after 微信 is taken whole: cut at 20, its rest would be
# read as a phone number, and the next pass would mask the id (not idempotent).
KEYWORD_WECHAT = _keyword(r"(?:微信|威信|薇信|徽信|加v|(?<![A-Za-z])(?:v信|vx|wx|wechat|weixin))(?:号码|号|账号|id)?",
                          rf"[A-Za-z][A-Za-z0-9_-]{{5,39}}(?![A-Za-z0-9_-])|{_NUMBER_CHAIN}", re.IGNORECASE)
KEYWORD_QQ = _keyword(r"(?:(?<![A-Za-z])qq|扣扣|企鹅)群?(?:号码|号|邮箱|账号)?",
                      rf"(?:[1-9](?:-?\d){{4,10}}|[1-9]\d{{2,3}}(?: \d{{3,4}}){{1,2}})(?!\d){_NOT_AMOUNT}",
                      re.IGNORECASE)
KEYWORD_PHONE = _keyword(r"(?:联系|手机|电话|座机|固话|手提)(?:号码|号|电话|方式)?|号码"
                         r"|(?<![A-Za-z])(?:tel|phone|mobile|mob|call)",
                         rf"{_NUMBER_CHAIN}(?P<ext>{_EXTENSION})?", re.IGNORECASE)
_PERSONAL_PHONE = re.compile(r"1\d{9,10}|0[1-9]\d{8,10}|[2-9]\d{6,7}")  # after a keyword a mistyped mobile too
_NOT_DIGIT = re.compile(r"\D")
_DIGIT_GROUP_END = re.compile(r"\d(?!\d)")


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)


def _longest(m: re.Match, valid: Callable[[str], bool]) -> tuple[int, int] | None:
    """The longest start of value "v" (whole digit groups) whose digits are `valid`: 电话 13812345678 2次
    masks the phone, not the count after it."""
    value, start = m.group("v"), m.start("v")
    for end in sorted((g.end() for g in _DIGIT_GROUP_END.finditer(value)), reverse=True):
        if valid(_digits(value[:end])):
            return start, start + end
    return None


def _is_personal_phone(digits: str) -> bool:
    """A number someone answers, not a hotline (12345, 95598) or a company's 400 / 800 line."""
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 10 and digits.startswith(("400", "800")):
        return False
    return bool(_PERSONAL_PHONE.fullmatch(digits))


def _phone_span(m: re.Match) -> tuple[int, int] | None:
    found = _longest(m, _is_personal_phone)
    if found and m.group("ext") and found[1] == m.start("ext"):
        return found[0], m.end("ext")  # 027-84567890转123: the extension goes with it
    return found


def _is_id_number(m: re.Match) -> bool:
    digits = m.group().replace(" ", "").replace("-", "")
    year, month, day = digits[6:10], int(digits[10:12]), int(digits[12:14])
    return year[:2] in ("18", "19", "20") and 1 <= month <= 12 and 1 <= day <= 31


def _is_plate(m: re.Match) -> bool:
    return sum(ch.isdigit() for ch in m.group()) >= 3  # 鄂A12345, 湘B8K3M9; not 新Model3


def _chat_id_span(m: re.Match) -> bool | tuple[int, int] | None:
    value = m.group("v")
    if value[0].isalpha():
        return value.lower() not in NOT_CHAT_IDS  # 微信 payment is a word, 微信 zhangsanfeng an id
    return _longest(m, lambda digits: 6 <= len(digits) <= 13)  # 微信12345 is the hotline's account


# ---------------------------------------------------------------------------------------
# Homes

_CN = "一二三四五六七八九十两零〇"
_NUM = rf"(?:\d{{1,4}}|[{_CN}]{{1,3}}|[A-Za-z]\d{{0,2}})"
ADDRESS = re.compile(
    rf"(?=[\dA-Za-z{_CN}])(?<![\dA-Za-z第.\-])"  # the cheap test first: most characters are no part
    # Only where a part can start, so the engine does not try (and hand back) empty matches everywhere.
    rf"(?=[\dA-Za-z{_CN}]{{1,5}}\s?(?:号院|号楼|栋|幢|座|#|单元|组|[室房户]"
    rf"|号\s?[\dA-Za-z{_CN}]{{1,4}}\s?(?:号院|号楼|栋|幢|座|单元))|\d{{3}}|[{_CN}]{{3}})"
    rf"(?:(?P<gate>\d{{1,5}}\s?号)(?=\s?{_NUM}\s?(?:号院|号楼|栋|幢|座|单元)))?"  # 88号 glued to 3栋: the gate
    rf"(?:(?P<yard>{_NUM}\s?号院)\s?)?"
    rf"(?:(?P<building>{_NUM}\s?(?:号楼|栋|幢|座|#楼?))\s?)?"
    rf"(?:(?P<unit>{_NUM}\s?单元|(?<=[栋幢座楼#])\d{{1,2}}(?=\s?-\s?\d{{3,4}}))\s?-?\s?)?"
    rf"(?:(?P<group>{_NUM}\s?组)\s?)?"
    r"(?:\d{1,2}\s?[楼层]\s?)?"
    # The room: 502, 502室, 五零二; or 5号 right after a unit, a building or a village group (2单元5号).
    rf"(?:(?P<room>\d{{1,4}}\s?[室房户]|(?<=[组元栋幢座楼#])\d{{1,4}}\s?号|(?:\d{{3,4}}|[{_CN}]{{3,4}})\s?号?)"
    r"(?![\d年月日元万块个次人%.:分秒米岁号窗门厅线]))?"
)
# 3-2-501 (building-unit-room) is a home unless it may be a date (5-10-2017); 3-501 only where a home is said.
DASHED_ADDRESS = re.compile(r"(?<![\d.\-/])\d{1,3}(?:-\d{1,2})?-\d{3,4}(?![\d\-./])")
_YEAR_LAST = re.compile(r"\d+-\d+-(?:19|20)\d\d")
ROAD_NUMBER = re.compile(r"(?=\s?\d)(?:(?<=[路街道巷弄])|(?<=门牌号)|(?<=门牌)|(?<=门牌号:)|(?<=门牌:))"
                         r"\s?\d{1,5}\s?号(?:院)?")
_BEFORE = 12  # characters looked at before a match for a public place or a residence
_PUBLIC_BEFORE = re.compile("(?:" + "|".join(PUBLIC_PLACES) + r")\s*$")
_RESIDENCE_BEFORE = re.compile("(?:" + "|".join(RESIDENCES) + r")\s*$")
_HOME_IN_CLAUSE = re.compile("|".join(HOME_WORDS))
_CLAUSE_ENDS = ",.;!?，。；！？\n"


def _home_context(m: re.Match) -> bool:
    """A residence's name right before, or 家住 / 住在 / 我家 ... earlier in the clause. The clause is
    bounded by punctuation only, not by a count of characters: a mask's label is shorter than what it
    hides, and the second pass must see the same context as the first."""
    text, start = m.string, m.start()
    clause = max(text.rfind(end, 0, start) for end in _CLAUSE_ENDS) + 1
    return bool(_RESIDENCE_BEFORE.search(text, max(0, start - _BEFORE), start)
                or _HOME_IN_CLAUSE.search(text, clause, start))


def _is_dashed_home(m: re.Match) -> bool:
    if m.group().count("-") == 2 and not _YEAR_LAST.fullmatch(m.group()):
        return True
    return _home_context(m)


def _is_home(m: re.Match) -> bool:
    parts = sum(m.group(g) is not None for g in ("yard", "building", "unit", "group", "room"))
    if not parts:
        return False
    if _PUBLIC_BEFORE.search(m.string, max(0, m.start() - _BEFORE), m.start()):
        return False  # 政务服务中心3号楼, 区行政审批局302室
    if parts >= 2:
        return True
    room = m.group("room")
    if room is not None and not room.rstrip().endswith(("室", "房", "户")):
        return False  # a bare number (120) is no home on its own
    return _home_context(m)


# ---------------------------------------------------------------------------------------
# Names

_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SINGLE_SURNAMES}])"
_PAUSE = r"[\s,.;:!?，。；：！？、…()（）\"“”'‘’\[\]【】《》<>/\-~" + BLANK + "]|$"
_CONTACT = "|".join(CONTACT_WORDS)
_PARTICLE = "[啊呀哈哦嘛呢吧]"  # 我是王小二啊
_WEAK_INTRO = ("我是|本人|鄙人|(?:^|(?<=[\\s,.;:!?，。；：！？]))在下"  # 在下 only as a sentence's subject, not 在下午
               "|我的?(?:" + "|".join(RELATIVES) + ")")
NAME_STRONG = re.compile(f"(?:{'|'.join(STRONG_INTROS)})(?:是|为)?[:\\s]*(?P<v>{_SURNAME}[\u4e00-\u9fff]{{1,2}}?)"
                         f"(?={_PAUSE}|{_CONTACT}|{_PARTICLE}|在|于|到|去|是|的|向|从|和|与|先生|女士|同志)")
NAME_WEAK = re.compile(f"(?:{_WEAK_INTRO})[:\\s]*(?P<v>{_SURNAME}[\u4e00-\u9fff]{{1,2}}?)"
                       f"(?={_PAUSE}|{_CONTACT}|{_PARTICLE}|的?(?:{'|'.join(RELATIVES)})|想|要求|请求|特此|希望|于|在|曾|多次|已|因)")
SURNAME_ONLY = re.compile(rf"(?:我|本人|鄙人|免贵)姓(?P<v>{_SURNAME})")


def _is_strong_name(m: re.Match) -> bool:
    name = m.group("v")
    return (not NOT_IN_GIVEN_NAME.intersection(name[1:])
            and name[:2] not in NOT_A_NAME and name[:3] not in NOT_A_NAME)


def _is_weak_name(m: re.Match) -> bool:
    name = m.group("v")
    return (_is_strong_name(m) and not NOT_IN_GIVEN_NAME_AFTER_WEAK.intersection(name[1:])
            and name[-1] not in ROLE_ENDINGS)


# ---------------------------------------------------------------------------------------
# Rules and their use


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern
    group: int | str = 0  # the group masked (0: the whole match); the rest of the match, a keyword, is kept
    # A check the pattern cannot make: False / None to leave the match alone, True to mask the group,
    # or the (start, end) to mask instead.
    accept: Callable[[re.Match], bool | tuple[int, int] | None] | None = None
    needs: re.Pattern | None = None  # a quick search the text must pass first (most comments have no digit)


_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_HOME_PART = re.compile(rf"[院楼栋幢座#元组室房户]|\d{{3}}|[{_CN}]{{3}}")

RULES: tuple[Rule, ...] = (
    Rule("url", URL, needs=re.compile(r"(?i)www|://")),
    Rule("email", EMAIL, needs=re.compile("@")),
    Rule("id", KEYWORD_ID, "v", needs=_DIGIT),
    Rule("document", KEYWORD_DOCUMENT, "v", needs=_DIGIT),
    Rule("staff", KEYWORD_STAFF, "v", needs=_DIGIT),
    Rule("number", KEYWORD_ACCOUNT, "v", needs=_ALNUM),
    Rule("wechat", KEYWORD_WECHAT, "v", _chat_id_span, needs=_ALNUM),
    Rule("qq", KEYWORD_QQ, "v", needs=_DIGIT),
    Rule("phone", KEYWORD_PHONE, "v", _phone_span, needs=_DIGIT),
    Rule("id", ID_NUMBER, 0, _is_id_number, needs=_DIGIT),
    Rule("document", PASSPORT, needs=_DIGIT),
    Rule("number", CARD, needs=_DIGIT),
    Rule("number", UNIONPAY, 0, lambda m: 16 <= len(_digits(m.group())) <= 19, needs=_DIGIT),
    Rule("plate", PLATE, 0, _is_plate, needs=_DIGIT),
    Rule("phone", MOBILE, needs=_DIGIT),
    Rule("phone", LANDLINE, needs=_DIGIT),
    Rule("number", LONG_DIGITS, needs=_DIGIT),
    Rule("address", ADDRESS, 0, _is_home, needs=_HOME_PART),
    Rule("address", DASHED_ADDRESS, 0, _is_dashed_home, needs=_DIGIT),
    Rule("address", ROAD_NUMBER, 0, _home_context, needs=re.compile(r"\d\s?号")),
    Rule("name", NAME_STRONG, "v", _is_strong_name),
    Rule("name", NAME_WEAK, "v", _is_weak_name),
    Rule("name", SURNAME_ONLY, "v"),
)


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) in `text` of every identifier found, in order."""
    work, origin = _working_copy(text)
    work = MASK.sub(lambda m: BLANK * len(m.group()), work)  # what is already masked stays as it is
    found: list[tuple[int, int, str]] = []
    for rule in RULES:
        if rule.needs is not None and not rule.needs.search(work):
            continue

        def blank(m: re.Match, rule: Rule = rule) -> str:
            verdict = True if rule.accept is None else rule.accept(m)
            if not verdict:
                return m.group()
            start, end = m.span(rule.group) if verdict is True else verdict
            if start == end:
                return m.group()
            found.append((start, end, rule.kind))
            whole = m.group()
            return whole[:start - m.start()] + BLANK * (end - start) + whole[end - m.start():]
        work = rule.pattern.sub(blank, work)
    if origin is not None:
        found = [(origin[start], origin[end - 1] + 1, kind) for start, end, kind in found]
    return sorted(found)


def mask_text(text: str) -> str:
    """The text with every personal identifier replaced by its label (see the module doc)."""
    if not text:
        return ""
    pieces, at = [], 0
    for start, end, kind in _spans(text):
        if start < at:
            continue  # two rules never share a character; this is only a guard
        pieces += [text[at:start], LABELS[kind]]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def masked_kinds(text: str) -> set[str]:
    """Which kinds of identifier `mask_text` would hide in `text` (for counts and tests)."""
    return {kind for _, _, kind in _spans(text)} if text else set()


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
