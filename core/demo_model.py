"""The made-up world behind the demo dataset (`python -m db demo`): numpy and the stdlib, no I/O.

The demo must look like a real year, so that every page, chart and estimator has something
to show, and it must carry structure an analyst can find again:

- each unit has a latent quality (an offset on a logit scale) that persists across years with
  a small drift, and every method sees it: panel answers, poll votes, media handling,
  inspection findings, accountability cases, daily scores, report punctuality;
- reviewer groups lean: service recipients and NPC deputies rate lower, cadres higher;
- dimensions differ a little (party discipline is rated best, problem solving worst).

Everything is a function of the seed. Each year and purpose draws from its own stream
(`stream`), so asking for fewer poll votes does not change the reviewers' names. Functions
return plain values that name units by *index* (into the list of units they were given);
db/demo/years.py turns indexes into ids and writes the rows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from core.clock import from_office
from core.media import CHANNELS

PANEL_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied", "unknown")
POLL_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
SEVERITIES = ("minor", "general", "serious")

# The reference split of the 2,000-person pool over the six groups, in scheme order.
GROUP_SHARES = (523, 417, 381, 299, 236, 144)
# Logit offsets: people who queue at the windows and deputies who hear complaints are
# stricter than the cadres who work next door to the units they rate.
GROUP_LEAN = {
    "service_recipient": -0.45,
    "npc_deputy": -0.30,
    "cppcc_member": -0.10,
    "industry_rep": 0.0,
    "cadre": 0.55,
    "community_cadre": 0.20,
}
DIMENSION_LEAN = {
    "party_discipline": 0.25,
    "rule_of_law": 0.10,
    "serving_public": -0.05,
    "work_style": -0.10,
    "problem_solving": -0.25,
}

QUALITY_SD = 0.6  # spread of units' lasting quality
DRIFT_SD = 0.15  # yearly change of a unit's quality: small, so rankings mostly persist
YEARLY_GAIN = 0.08  # the review works a little: everyone improves slowly

# Ordered logit: latent + logistic noise above CUTS[1] is satisfied, above CUTS[0] basically.
PANEL_BASE, PANEL_CUTS = 1.0, (-2.6, -0.2)
POLL_BASE, POLL_SLOPE, POLL_CUTS = 0.5, 0.9, (-2.4, -0.1)

MEDIA_SHARES = {"daily_express": 0.2, "changjiang_board": 0.4, "all_media_platform": 0.3, "tv_style_focus": 0.1}
MEDIA_SOURCES = {  # code: (name_zh, name_en, share of cases); the names are the plan's channels (core.media)
    code: (*CHANNELS[code], share) for code, share in MEDIA_SHARES.items()
}
# Power, gas, buses and telephones touch everyone: they draw more votes and complaints.
CATEGORY_EXPOSURE = {"economic_social": 0.8, "urban_enforcement": 1.3, "public_service": 1.8}
WEEKDAY_FACTOR = np.array([1.2, 1.15, 1.1, 1.05, 1.0, 0.6, 0.55])  # Monday first
HOUR_WEIGHTS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 4, 6, 6, 5, 4, 4, 5, 5, 4, 3, 3, 4, 5, 5, 4, 2])
PHONE_PREFIXES = ("1380000", "1390000", "1370000", "1360000")  # reserved-looking, never real numbers

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "涂喻童舒"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国文辉玉兰红梅晓燕斌宇浩鹏飞俊峰波海亮林春志鑫琳婷"
    "颖佳欣怡雪晨宏德忠新凯丹萍慧璐倩楠帆坤旭阳娇婉清翔博思睿子雨诗嘉永荣成金立学卫东云敬安"
)
STREETS = ("沌口街道", "沌阳街道", "军山街道", "纱帽街道", "邓南街道", "东荆街道", "湘口街道", "洪北管委会")
COMMUNITIES = ("幸福", "和谐", "枫树", "芳草", "兴华", "湖滨", "碧湖", "江城", "太子湖", "东风", "新城", "车城",
               "三角湖", "万家湖", "神龙", "金色港湾")
FIRMS = ("鑫达", "华联", "恒通", "东风", "金龙", "汉江", "神龙", "车都", "博华", "中冠", "长江", "楚天", "荆楚",
         "江汉", "凯瑞", "联创", "宏图")
TRADES = ("汽车零部件", "物流", "商贸", "建材", "餐饮管理", "电子科技", "机械制造", "置业", "物业管理", "食品",
          "印务", "环保科技")
SECTORS = ("经济界", "教育界", "医卫界", "科技界", "农业界", "工商联", "社会福利界")
ORGANS = ("区委办公室", "区政府办公室", "区纪委监委", "区委组织部", "区委统战部", "区总工会", "团区委", "区妇联",
          "区人大办", "区政协办", "区委政法委", "区机关事务局")
WORKPLACES = ("汉南区第一中学", "沌口小学", "区人民医院", "区中医院", "军山中学", "纱帽中心卫生院")

# Complaints that fit any unit of the category (a telecom complaint must not land on the gas company).
PROBLEMS = {
    "economic_social": ("企业办事时限过长", "办事窗口要求重复提交材料", "政策兑现结果未公示", "网上办事系统频繁故障",
                        "惠企政策咨询电话无人接听", "补贴资金发放滞后", "办事材料要求繁琐", "审批事项“体外循环”"),
    "urban_enforcement": ("举报问题长期无人处理", "占道经营久拖未治", "执法标准不统一", "投诉问题无回应",
                          "执法人员未出示执法证件", "整改承诺久拖不兑现", "执法过程态度粗暴", "办证业务多次往返"),
    "public_service": ("故障报修后抢修迟缓", "开户收取不合理费用", "服务热线长期占线", "报修多日无人上门",
                       "营业厅排队时间过长", "业务办理设置障碍", "服务承诺未兑现", "收费标准不透明"),
}
MEDIA_LEADS = {
    "daily_express": "《每日快报》报道：",
    "changjiang_board": "网友留言：",
    "all_media_platform": "市民投诉：",
    "tv_style_focus": "《作风聚焦》曝光：",
}
REPLIES = ("已责成相关科室核查处理，并向当事人反馈。", "经核实情况属实，已完成整改并建立长效机制。",
           "已安排专人上门处理，问题已解决。", "已约谈相关责任人，限期整改到位。")
FINDINGS = {
    "party_discipline": ("主体责任清单未及时更新", "党风廉政建设会议记录不全", "廉政风险点排查流于形式",
                         "“一岗双责”落实不到位"),
    "rule_of_law": ("执法记录仪未按规定使用", "收费项目未公示", "行政处罚案卷材料不完整", "超时限办理审批事项"),
    "serving_public": ("窗口工作人员态度生硬", "办事指南与实际要求不一致", "群众等候时间过长且无人引导",
                       "便民设施缺失"),
    "work_style": ("工作时间玩手机、脱岗", "上班迟到早退", "值班人员不在岗", "推诿扯皮、让群众多跑路"),
    "problem_solving": ("群众投诉台账记录不全", "反映问题未按时回复", "问题整改未形成闭环", "热线工单超期未办结"),
}
SITES = {
    "economic_social": ("服务窗口", "办事大厅", "基层所站"),
    "urban_enforcement": ("执法中队", "办事大厅", "基层所站", "服务窗口"),
    "public_service": ("营业厅", "服务窗口", "基层所站"),
}
TEAMS = ("第一督查组", "第二督查组", "第三督查组", "第四督查组")
COMMENTS = ("窗口服务态度有待改进。", "办事效率比去年有提高。", "反映的问题迟迟没有答复。", "希望简化办事流程。",
            "基层站所工作人员经常不在岗。", "整改措施要落到实处。")
CASE_NOTES = {
    "received": "受理线索，登记备案",
    "investigating": "成立调查组开展倒查",
    "decided": "作出问责处理决定",
    "circulated": "在全区范围内通报",
    "second_handling": "调查不彻底、整改不到位，启动二次办理",
}
MEASURES = {
    "frontline": ("诫勉谈话", "通报批评", "党内警告", "调离岗位"),
    "unit_head": ("约谈提醒", "书面检查", "通报批评"),
    "department_head": ("约谈", "书面检查"),
    "leader_in_charge": ("约谈提醒",),
}
PHONE_CAPACITY = 10_000 * len(PHONE_PREFIXES)


def stream(seed: int, year: int, purpose: str) -> np.random.Generator:
    """An independent random stream per (seed, year, purpose); year 0 is for lasting traits."""
    return np.random.default_rng([seed, year, zlib.crc32(purpose.encode())])


def random_hex(rng: np.random.Generator, n: int, nbytes: int = 32) -> list[str]:
    """n random hex strings, shaped like the SHA-256 hashes the real tables hold."""
    raw = rng.integers(0, 256, size=n * nbytes, dtype=np.uint8).tobytes().hex()
    width = 2 * nbytes
    return [raw[k * width:(k + 1) * width] for k in range(n)]


def split(total: int, shares: tuple[int, ...] | list[int]) -> list[int]:
    """`total` split in proportion to `shares`, rounded by largest remainder (sums exactly)."""
    weights = np.asarray(shares, dtype=float)
    quotas = total * weights / weights.sum()
    result = np.floor(quotas).astype(int)
    for k in np.argsort(-(quotas - result), kind="stable")[: total - result.sum()]:
        result[k] += 1
    return result.tolist()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ordinal(rng: np.random.Generator, latent: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """Ordered logit: 0 satisfied, 1 basically satisfied, 2 dissatisfied."""
    noisy = latent + rng.logistic(size=np.shape(latent))
    return (noisy <= cuts[1]).astype(np.int8) + (noisy <= cuts[0]).astype(np.int8)


def office_moment(day: date, seconds: float) -> datetime:
    """An aware UTC moment `seconds` after midnight of an office-local day."""
    return from_office(datetime(day.year, day.month, day.day) + timedelta(seconds=float(seconds)))


def lookup(codes: list[str], table: dict[str, float], default: float = 0.0) -> np.ndarray:
    """Values for codes; a code the office added later gets the neutral `default`."""
    return np.array([table.get(code, default) for code in codes], dtype=float)


# ----------------------------------------------------------------------------- units


def unit_quality(seed: int, n_units: int, n_years: int) -> np.ndarray:
    """Latent quality, shape (years, units): a lasting base plus a random walk and a slow gain."""
    rng = stream(seed, 0, "quality")
    base = rng.normal(0.0, QUALITY_SD, n_units)
    steps = rng.normal(0.0, DRIFT_SD, (n_years, n_units))
    steps[0] = 0.0
    return base + np.cumsum(steps, axis=0) + YEARLY_GAIN * np.arange(n_years)[:, None]


def unit_obscurity(seed: int, n_units: int) -> np.ndarray:
    """How often reviewers answer "unknown" for a unit relative to others (an archive office
    is less known than the power company)."""
    return stream(seed, 0, "obscurity").lognormal(0.0, 0.5, n_units)


def exposure(categories: list[str], rng: np.random.Generator) -> np.ndarray:
    """How much public attention each unit gets (votes, complaints), normalised to sum 1."""
    weights = lookup(categories, CATEGORY_EXPOSURE, 1.0) * rng.lognormal(0.0, 0.35, len(categories))
    return weights / weights.sum()


# -------------------------------------------------------------------------- reviewers


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    organisation: str
    group: int  # index into the campaign's reviewer groups


def person_name(rng: np.random.Generator) -> str:
    # Common surnames are far more common: a Zipf-like weight keeps 王李张刘陈 on top.
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
    surname = SURNAMES[rng.choice(len(SURNAMES), p=weights / weights.sum())]
    length = 2 if rng.random() < 0.7 else 1
    return surname + "".join(GIVEN[k] for k in rng.integers(0, len(GIVEN), length))


def organisation(rng: np.random.Generator, group_code: str) -> str:
    def pick(options):
        return options[rng.integers(0, len(options))]

    firm = f"武汉{pick(FIRMS)}{pick(TRADES)}有限公司"
    community = f"{pick(STREETS)}{pick(COMMUNITIES)}社区"
    if group_code == "service_recipient":
        return firm if rng.random() < 0.6 else f"{community}居民"
    if group_code in ("npc_deputy", "industry_rep"):
        return firm if rng.random() < 0.6 else pick(WORKPLACES)
    if group_code == "cppcc_member":
        return f"区政协{pick(SECTORS)}"
    if group_code == "cadre":
        return pick(ORGANS)
    if group_code == "community_cadre":
        return f"{community}居委会"
    return firm


def reviewer_pools(seed: int, n_years: int, group_codes: list[str], sizes: list[int],
                   keep: float = 0.6) -> list[list[Person]]:
    """The pool of each year. About `keep` of each group stays on from the year before (same
    name, phone and organisation, so the same person key); the rest are new people."""
    rng = stream(seed, 0, "people")
    if sum(sizes) + (n_years - 1) * sum(sizes) * (1 - keep) > PHONE_CAPACITY:
        raise ValueError("too many demo reviewers for the fake phone number range")
    phones = iter(rng.permutation(PHONE_CAPACITY).tolist())

    def newcomer(group: int) -> Person:
        serial = next(phones)
        phone = PHONE_PREFIXES[serial // 10_000] + f"{serial % 10_000:04d}"
        return Person(person_name(rng), phone, organisation(rng, group_codes[group]), group)

    pools, previous = [], []
    for _ in range(n_years):
        pool = []
        for group, size in enumerate(sizes):
            before = [p for p in previous if p.group == group]
            stay = rng.choice(len(before), min(round(keep * size), len(before)), replace=False)
            pool += [before[k] for k in sorted(stay)]
            pool += [newcomer(group) for _ in range(size - len(stay))]
        pools.append(pool)
        previous = pool
    return pools


# ------------------------------------------------------------------------------ panel


def panel_turnout(rng: np.random.Generator, drawn_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The groups of the submitted and of the draft questionnaires, in random order.

    A few drawn reviewers never finish: some stop half-way (a draft stays), some never come.
    The order is shuffled so that nothing about a response points back to a draw member.
    """
    n = len(drawn_groups)
    missing = min(n, int(rng.integers(7, 15)))
    drafts = min(missing, int(rng.integers(3, 6)))
    order = rng.permutation(n)
    submitted = rng.permutation(drawn_groups[order[missing:]])
    draft = drawn_groups[order[:drafts]]
    return submitted, draft


def panel_answers(rng: np.random.Generator, *, quality: np.ndarray, group_lean: np.ndarray,
                  dimension_lean: np.ndarray, obscurity: np.ndarray) -> np.ndarray:
    """Option indexes into PANEL_OPTIONS, shape (responses, units, dimensions).

    `group_lean` holds one value per response. A reviewer who does not know a unit answers
    "unknown" for all its dimensions, as people do on paper.
    """
    n = len(group_lean)
    strictness = rng.normal(0.0, 0.35, n)  # some people never tick the top box
    latent = (PANEL_BASE + quality[None, :, None] + (group_lean + strictness)[:, None, None]
              + dimension_lean[None, None, :])
    codes = ordinal(rng, latent, PANEL_CUTS)
    familiarity = rng.beta(1.2, 30.0, n)
    unknown = rng.random((n, len(quality))) < np.clip(familiarity[:, None] * obscurity[None, :], 0, 0.9)
    codes[unknown] = 3
    return codes


def panel_days(rng: np.random.Generator, n: int, first: date, last: date) -> list[date]:
    """Submission days: most reviewers come to one of three venue sessions, a few fill in elsewhere."""
    span = (last - first).days + 1
    sessions = np.sort(rng.choice(span, size=min(3, span), replace=False))
    offsets = np.where(rng.random(n) < 0.85, rng.choice(sessions, n), rng.integers(0, span, n))
    return [first + timedelta(days=int(k)) for k in offsets]


def panel_comments(rng: np.random.Generator, answers: np.ndarray) -> list[tuple[int, int, str]]:
    """(response index, unit index, text): a few reviewers explain a dissatisfied mark."""
    comments = []
    for response in np.flatnonzero(rng.random(len(answers)) < 0.08):
        low = np.flatnonzero((answers[response] == 2).any(axis=1))
        if len(low):
            comments.append((int(response), int(rng.choice(low)), COMMENTS[rng.integers(0, len(COMMENTS))]))
    return comments


# ------------------------------------------------------------------------------- poll


def day_weights(days: np.ndarray) -> np.ndarray:
    """A weekly rhythm (weekdays busy) with a surge as the year-end review is publicised."""
    weekday = (days.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    towards_end = np.arange(len(days))[::-1]
    weights = WEEKDAY_FACTOR[weekday] * (1.0 + 1.5 * np.exp(-towards_end / 30.0))
    return weights / weights.sum()


def _bursts(rng: np.random.Generator, n: int) -> list[int]:
    """Sizes of ballot-stuffing bursts (many devices, one network, minutes apart)."""
    if n < 200:
        return []
    return [int(k) for k in rng.integers(8, 16, 2)]


def poll_votes(rng: np.random.Generator, n: int, *, quality: np.ndarray, unit_weight: np.ndarray,
               first: date, last: date) -> dict[str, np.ndarray]:
    """`n` votes as arrays: unit, day (offset from `first`), option, device, network, second
    (of the office day) and flagged. (unit, device, day) never repeats."""
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    bursts = _bursts(rng, n)
    regular = n - sum(bursts)
    unit = rng.choice(len(quality), regular, p=unit_weight)
    day = rng.choice(len(days), regular, p=day_weights(days))
    option = ordinal(rng, POLL_BASE + POLL_SLOPE * quality[unit], POLL_CUTS)
    device, n_devices = _devices(rng, unit, day, n_units=len(quality), n_days=len(days))
    network_of = rng.integers(0, max(1, n_devices // 3), n_devices)  # a household shares a router
    n_networks = int(network_of.max()) + 1 if n_devices else 0
    second = (rng.choice(24, regular, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) * 3600
              + rng.integers(0, 3600, regular))
    parts = [dict(unit=unit, day=day, option=option, device=device, network=network_of[device],
                  second=second, flagged=np.zeros(regular, bool))]
    for size in bursts:
        parts.append(dict(
            unit=np.full(size, rng.integers(0, len(quality))), day=np.full(size, rng.integers(0, len(days))),
            option=np.zeros(size, np.int8), device=n_devices + np.arange(size), network=np.full(size, n_networks),
            second=np.sort(rng.integers(0, 600, size)) + 3600 * 22, flagged=np.ones(size, bool),
        ))
        n_devices, n_networks = n_devices + size, n_networks + 1
    votes = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.lexsort((votes["second"], votes["day"]))  # ids follow time, as live votes would
    return {key: value[order] for key, value in votes.items()}


def _devices(rng: np.random.Generator, unit: np.ndarray, day: np.ndarray, *, n_units: int,
             n_days: int) -> tuple[np.ndarray, int]:
    """A device for each vote: a few heavy users vote often; a repeated (unit, device, day),
    which the poll would refuse, goes to a fresh device instead."""
    n_devices = max(1, len(unit) // 2)
    activity = rng.pareto(1.5, n_devices) + 1.0
    device = rng.choice(n_devices, len(unit), p=activity / activity.sum())
    key = (device.astype(np.int64) * n_units + unit) * n_days + day
    _, first = np.unique(key, return_index=True)
    repeated = np.ones(len(key), bool)
    repeated[first] = False
    device[repeated] = n_devices + np.arange(repeated.sum())
    return device, n_devices + int(repeated.sum())


# ------------------------------------------------------------------------------ media


def _period(first: date, last: date, until: date | None) -> tuple[date, date]:
    """The part of [first, last] up to `until` (a running year); early in the year, what has gone by."""
    if until is None:
        return first, last
    last = min(last, until)
    return (first, last) if first <= last else (date(until.year, 1, 1), until)


def media_cases(rng: np.random.Generator, *, year: int, quality: np.ndarray, categories: list[str],
                unit_weight: np.ndarray, n: int, until: date | None = None) -> list[dict]:
    """Problems exposed in the four channels and how each unit handled them (none after `until`)."""
    sources = list(MEDIA_SOURCES)
    shares = np.array([MEDIA_SOURCES[s][2] for s in sources])
    # Worse units collect more complaints on top of their public exposure.
    weight = unit_weight * np.exp(-0.9 * quality)
    units = rng.choice(len(quality), n, p=weight / weight.sum())
    start, end = _period(date(year, 1, 3), date(year, 12, 15), until)
    cases = []
    for k, unit in enumerate(units):
        q = quality[unit]
        source = sources[rng.choice(len(sources), p=shares)]
        exposed = start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))
        problem = _pick(rng, PROBLEMS.get(categories[unit], PROBLEMS["economic_social"]))
        case = dict(unit=int(unit), source=source, ref=f"DEMO-{year}-{k + 1:04d}",
                    title=MEDIA_LEADS[source] + problem, exposed_on=exposed, answered_on=None, status="open",
                    repeated=bool(rng.random() < sigmoid(-1.8 - q)), public_satisfaction=None, reply="")
        if rng.random() < sigmoid(2.3 + q):  # most units answer; weak ones leave more open
            lag = 1 + int(rng.exponential(3.0 * np.exp(-0.6 * q)))
            resolved = rng.random() < sigmoid(0.8 + q)
            if until is not None and exposed + timedelta(days=lag) > until:
                cases.append(case)  # not answered yet
                continue
            case.update(answered_on=exposed + timedelta(days=lag), status="resolved" if resolved else "answered",
                        reply=_pick(rng, REPLIES))
            if rng.random() < 0.75:
                verdict = ordinal(rng, np.array(0.6 + q + (0.8 if resolved else 0.0)), (-1.5, 0.3))
                case["public_satisfaction"] = POLL_OPTIONS[int(verdict)]
        cases.append(case)
    return cases


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(0, len(options)))]


# ------------------------------------------------------------------------ inspections


def _workday(rng: np.random.Generator, first: date, last: date) -> date:
    for _ in range(50):  # a span of a weekend only (2 January on a Sunday) ends the search
        day = first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))
        if day.weekday() < 5:
            return day
    return last


def inspections(rng: np.random.Generator, *, year: int, quality: np.ndarray, categories: list[str],
                dimensions: list[str], n: int, until: date | None = None) -> list[dict]:
    """Open and covert visits, each with 1-3 findings; weak units are visited more and found worse.

    In a running year (`until`), visits stop there and the newest findings are not yet handled."""
    n_units = len(quality)
    units = np.repeat(np.arange(n_units), n // n_units)  # every unit is visited at least this often
    extra = np.exp(-0.5 * quality)
    units = np.concatenate([units, rng.choice(n_units, n - len(units), p=extra / extra.sum())])
    year_end = until or date(year, 12, 31)
    first, last = _period(date(year, 3, 1), date(year, 12, 15), until)
    if until is not None and (last - first).days < 28:  # early in the year: the teams went out from January
        first = min(first, date(year, 1, 2), last)
    visits = []
    for unit in rng.permutation(units):
        q = quality[unit]
        visited = _workday(rng, first, last)
        covert = rng.random() < 0.55
        site = _pick(rng, SITES.get(categories[unit], SITES["economic_social"]))
        count = 1 + int(rng.binomial(2, sigmoid(-0.8 - q)))
        age = (year_end - visited).days / 365.0
        findings = [_finding(rng, q, dimensions, site, age) for _ in range(count)]
        visits.append(dict(unit=int(unit), kind="covert" if covert else "open", visited_on=visited, site=site,
                           team=_pick(rng, TEAMS), findings=findings,
                           notes=f"{'暗访' if covert else '明察'}{site}（演示数据）"))
    visits.sort(key=lambda v: v["visited_on"])
    return visits


def _finding(rng: np.random.Generator, q: float, dimensions: list[str], site: str, age: float) -> dict:
    # Visits catch work style and service most often: that is what a window shows.
    weights = lookup(dimensions, {"serving_public": 1.6, "work_style": 1.8, "problem_solving": 1.2}, 0.8)
    dimension = int(rng.choice(len(dimensions), p=weights / weights.sum()))
    # The ordinal scale read the other way: about 50 % minor, 40 % general, 10 % serious for
    # an average unit, more serious ones for weak units.
    severity = int(ordinal(rng, np.array(0.8 * q), (-2.2, 0.0)))
    texts = FINDINGS.get(dimensions[dimension], FINDINGS["work_style"])
    progress = rng.random() + age  # older findings are further along
    state = ("recorded", "handed_over", "answered", "closed")[min(3, int(progress * 2.2))]
    return dict(dimension=dimension, severity=SEVERITIES[severity], description=f"{site}：{_pick(rng, texts)}",
                state=state)


# --------------------------------------------------------------------- accountability


ORIGINS = ("finding", "tv_exposure", "repeated_media", "special_campaign")
PATH = ("received", "investigating", "decided", "circulated")


def accountability_cases(rng: np.random.Generator, *, year: int, quality: np.ndarray, units: list[str],
                         visits: list[dict], media: list[dict], n: int, until: date | None = None) -> list[dict]:
    """Cases with their timeline and responsible people.

    Each case points at what it came from: (visit index, finding index) or a media case
    index. Earlier cases are further along; a couple are sent back for a second handling.
    """
    used: set = set()  # a finding or media case starts at most one case
    cases = [_case_origin(rng, year=year, quality=quality, visits=visits, media=media, used=used, until=until)
             for _ in range(n)]
    cases.sort(key=lambda c: c["opened_on"])
    # Every stage is represented; the earliest cases are the furthest along.
    stages = np.repeat(np.arange(4), split(n, (2, 3, 3, 4)))[::-1]
    second = rng.choice(np.flatnonzero(stages >= 2), min(2, int((stages >= 2).sum())), replace=False)
    for k, case in enumerate(cases):
        path = list(PATH[: stages[k] + 1])
        if k in second:
            path = [*PATH[:3], "second_handling"]
        case.update(_timeline(rng, case["opened_on"], path, until or date(year, 12, 31)))
        case["title"] = f"关于{units[case['unit']]}{case.pop('problem')}的倒查追责"
        case["persons"] = _responsible(rng, case["severity"])
        case["escalated"] = case["severity"] == "serious"
    return cases


def _unused_source(rng: np.random.Generator, origin: str, visits: list[dict], media: list[dict], used: set):
    """What a case of this origin cites and no case cites yet: (visit, finding) indexes for a
    finding, a media case index for exposures; None for a special campaign or when none is left."""
    if origin == "finding":
        keys = [(v, f) for v, visit in enumerate(visits) for f, found in enumerate(visit["findings"])
                if found["severity"] != "minor"]
    elif origin == "tv_exposure":
        keys = [k for k, m in enumerate(media) if m["source"] == "tv_style_focus"]
    elif origin == "repeated_media":
        keys = [k for k, m in enumerate(media) if m["repeated"]]
    else:
        return None
    keys = [key for key in keys if key not in used]
    if not keys:
        return None
    key = keys[int(rng.integers(0, len(keys)))]
    used.add(key)
    return key


def _case_origin(rng: np.random.Generator, *, year: int, quality: np.ndarray, visits: list[dict],
                 media: list[dict], used: set, until: date | None = None) -> dict:
    origin = ORIGINS[rng.choice(4, p=[0.45, 0.2, 0.2, 0.15])]
    key = _unused_source(rng, origin, visits, media, used)
    if key is None:
        origin = "special_campaign"  # nothing left to cite: a special campaign needs no source
    case = dict(origin=origin, visit=None, finding=None, media=None)
    if origin == "finding":
        case["visit"], case["finding"] = key
        visit = visits[case["visit"]]
        found = visit["findings"][case["finding"]]
        case.update(unit=visit["unit"], severity=found["severity"], source_day=visit["visited_on"],
                    problem=found["description"].split("：", 1)[-1], description=found["description"])
    elif origin in ("tv_exposure", "repeated_media"):
        case["media"] = key
        exposed = media[case["media"]]
        case.update(unit=exposed["unit"], severity="serious" if origin == "tv_exposure" else "general",
                    source_day=exposed["exposed_on"], problem=exposed["title"].split("：", 1)[-1],
                    description=exposed["title"])
    else:
        weight = np.exp(-quality)
        unit = int(rng.choice(len(quality), p=weight / weight.sum()))
        case.update(unit=unit, severity=_pick(rng, ("general", "serious")),
                    source_day=_workday(rng, *_period(date(year, 4, 1), date(year, 10, 31), until)),
                    problem="在“庸懒散”专项整治中发现的问题", description="专项整治行动中发现的问题（演示数据）")
    opened = case.pop("source_day") + timedelta(days=int(rng.integers(3, 15)))
    case["opened_on"] = min(opened, date(year, 12, 20), until or date(year, 12, 31))
    return case


def _timeline(rng: np.random.Generator, opened: date, path: list[str], last: date) -> dict:
    day, events, previous = opened, [], None
    for k, state in enumerate(path):
        if k:
            day = min(day + timedelta(days=int(rng.integers(5, 25))), last)
        moment = office_moment(day, 9 * 3600 + int(rng.integers(0, 8 * 3600)))
        events.append(dict(at=moment, from_state=previous, to_state=state, note=CASE_NOTES[state]))
        previous = state
    return dict(state=path[-1], events=events, due_on=opened + timedelta(days=30),
                closed_on=day if path[-1] == "circulated" else None)


def _responsible(rng: np.random.Generator, severity: str) -> list[dict]:
    roles = ["frontline"]
    if severity != "minor":
        roles.append("unit_head")
    if severity == "serious":  # severe cases reach the district department and its leaders
        roles += ["department_head", "leader_in_charge"]
    return [dict(role=role, name=person_name(rng), measure=_pick(rng, MEASURES[role])) for role in roles]


# -------------------------------------------------------------- scores and follow-up


def daily_scores(rng: np.random.Generator, quality: np.ndarray) -> np.ndarray:
    return np.clip(np.round(84.0 + 6.0 * quality + rng.normal(0.0, 2.5, len(quality)), 1), 0.0, 100.0)


RUNNING_PROBLEMS = "群众对前期整改情况不满意，明察暗访发现问题反复出现，需限期整改（演示数据）"


def rectifications(rng: np.random.Generator, *, year: int, quality: np.ndarray, settled: bool,
                   until: date | None = None) -> list[dict]:
    """Notices for the 2-3 weakest units of the year, each with its talk.

    `settled` years are over: the rectification was verified and the public gave a verdict.
    In a running year (`until`), the notices went out in the last weeks (the public rejected a
    unit's rectification) and their deadlines lie ahead.
    """
    weakest = np.argsort(quality)[: int(rng.integers(2, 4))]
    notices = []
    for k, unit in enumerate(weakest):
        issued = date(year, 12, 27) + timedelta(days=int(rng.integers(0, 4)))
        reason = "unqualified" if k == 0 or rng.random() < 0.6 else "public_rejected"
        problems = "综合评价不合格：群众满意度偏低，明察暗访发现问题较多，需限期整改（演示数据）"
        if until is not None:
            issued = max(date(year, 1, 2), until - timedelta(days=int(rng.integers(10, 41))))
            issued = min(issued, until)
            reason, problems = "public_rejected", RUNNING_PROBLEMS
        notice = dict(unit=int(unit), reason=reason, problems=problems,
                      issued_on=issued, deadline=issued + timedelta(days=60), notice_no=f"纠风整改〔{year}〕{k + 1}号",
                      state=_pick(rng, ("issued", "in_progress", "submitted")), closed_on=None,
                      public_satisfaction=None)
        if settled:
            notice.update(state="verified", closed_on=issued + timedelta(days=int(rng.integers(40, 70))),
                          public_satisfaction=POLL_OPTIONS[int(ordinal(rng, np.array(0.8), (-1.5, 0.3)))])
        head, deputy = person_name(rng), person_name(rng)
        held = issued + timedelta(days=int(rng.integers(3, 8)))
        notice["talk"] = dict(held_on=min(held, until) if until else held, with_role="head",
                              persons=f"{head}（主要负责人）、{deputy}（分管负责人）",
                              notes="指出存在问题，要求对照整改通知书限期整改到位（演示数据）")
        notices.append(notice)
    return notices


def unit_reports(rng: np.random.Generator, *, quality: np.ndarray, due: dict[str, date],
                 until: date | None = None) -> list[dict]:
    """Plans and summaries: most on time, some late, a few missing (no row); weak units slip.

    In a running year nothing is handed in after `until`: a report due later is still to come,
    one whose deadline has passed is late."""
    reports = []
    for unit, q in enumerate(quality):
        for kind, deadline in due.items():
            if rng.random() < 0.02 + 0.06 * sigmoid(-2.0 - 2.0 * q):
                continue
            late = rng.random() < sigmoid(-2.4 - 1.2 * q)
            shift = int(rng.integers(1, 30)) if late else -int(rng.integers(0, 25))
            day = deadline + timedelta(days=shift)
            if until is not None and day > until:
                continue
            reports.append(dict(unit=unit, kind=kind, late=late,
                                submitted_at=office_moment(day, 9 * 3600 + int(rng.integers(0, 9 * 3600)))))
    return reports
