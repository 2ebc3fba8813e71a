"""The feedback letter (评议意见反馈函) to one unit, as Word bytes, in the official layout of documents/word.py.

It holds only that unit's figures: its result, its dimensions beside its category's mean (the
category is named, never another unit), its reviewer groups (small groups withheld), the poll by
month, the themes of what people said with a few masked examples (never a reviewer's name or
group), the findings, media and accountability cases with their state, and what is required of it.
Letters made from demo data say so in the title block and in the page header.

Wording is Chinese whatever the interface language: it is an official paper of a Chinese office.
Built from plain data (documents.feedback_data); nothing here reads the database.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable

from core.clock import to_office
from core.deidentify import redact_units, unit_aliases
from core.privacy import SMALL_CELL
from documents.feedback_data import CommentDigest, UnitFeedback
from documents.labels import (
    CASE_STATES_ZH,
    DEMO_MARK,
    FINDING_STATES_ZH,
    GRADES_ZH,
    MEDIA_STATES_ZH,
    METHODS_ZH,
    RECTIFICATION_REASONS_ZH,
    RECTIFICATION_STATES_ZH,
    SEVERITIES_ZH,
    TALK_ROLES_ZH,
)
from documents.word import TITLE_FONT, add_paragraph, add_table, chinese_date, mark_demo, official_document

EXAMPLES_PER_THEME = 3
MAX_ROWS = 30  # a register longer than this is summarised: the unit has it in full on its casework pages
SOURCES_ZH = {"panel": "集中评议人员意见", "poll": "群众网上评议留言"}
NUMERALS = "一二三四五六七八九十"


def letter_name(feedback: UnitFeedback) -> str:
    """评议意见反馈函-2017-es01.docx: the code keeps names of units with slashes or brackets file-safe."""
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", feedback.unit_code)
    return f"评议意见反馈函-{feedback.year}-{safe}.docx"


def _fmt(value: float | None, digits: int = 1) -> str:
    value = _plain(value)
    return "—" if value is None else f"{value:.{digits}f}"


def _plain(value) -> float | None:
    """None for a missing number, pandas' NaN included."""
    return None if value is None or math.isnan(value) else float(value)


def _responses(withheld: bool, n) -> str:
    if withheld:
        return f"少于{SMALL_CELL}份，不单列"
    return "—" if _plain(n) is None else str(int(n))


def letter_docx(feedback: UnitFeedback, digest: CommentDigest, *, office: str,
                other_units: Iterable[str] = ()) -> bytes:
    """The letter; `other_units`: the names of the campaign's other units, replaced by 某单位 wherever people's
    words (comments, finding descriptions, case titles) mention one."""
    document = official_document(table_font_size=11)
    year = feedback.year
    own = unit_aliases(feedback.unit_name)
    others = {alias for name in other_units for alias in unit_aliases(name)}

    def free(text: str) -> str:
        return redact_units(text, own=own, others=others)

    def paragraph(text: str, *, indent: bool = True, **style):
        return add_paragraph(document, text, indent=indent, **style)

    def heading(number: int, text: str):
        return add_paragraph(document, f"{NUMERALS[number - 1]}、{text}", indent=True, font=TITLE_FONT)

    if feedback.demo:
        mark_demo(document)
    paragraph(f"{year}年度履职尽责督促检查", indent=False, align="center", size=22,
              font=TITLE_FONT, bold=True)
    paragraph("评议意见反馈函", indent=False, align="center", size=22, font=TITLE_FONT, bold=True)
    if feedback.demo:
        paragraph(f"（{DEMO_MARK}）", indent=False, align="center")
    paragraph("")
    paragraph(f"{feedback.unit_name}：", indent=False)
    paragraph(f"根据《区纠风办关于{year}年度加强履职尽责督促检查工作的实施方案》，经明察暗访、大数据评议、集中评议和"
              f"日常工作评价，现将你单位{year}年度督促检查结果和各方面意见反馈如下，请认真研究，针对存在的突出问题"
              "认真进行整改。")

    number = 1
    heading(number, "评议结果")
    rank = f"第{feedback.rank}名"
    if feedback.rank_low is not None and feedback.rank_high is not None:
        rank += f"（排名区间第{feedback.rank_low}至第{feedback.rank_high}名）"
    paragraph(f"你单位综合得分{_fmt(feedback.total)}分（90%区间{_fmt(feedback.score_low)}至{_fmt(feedback.score_high)}"
              f"分），等次为“{GRADES_ZH.get(feedback.grade, feedback.grade)}”，在{feedback.category_zh}"
              f"{feedback.category_size}个单位中排{rank}。")
    parts = "；".join(f"{METHODS_ZH[m]}{_fmt(v)}分" for m, v in feedback.components.items() if v is not None)
    if parts:
        paragraph(f"各评价方式得分：{parts}。")

    dims = feedback.dimensions
    if not dims.empty and dims["estimate"].notna().any():
        number += 1
        heading(number, "各项督查内容得分")
        rows = [[r.dimension_zh, _fmt(r.estimate), f"{_fmt(r.low)}–{_fmt(r.high)}", _fmt(r.category_mean),
                 ("+" if (r.difference or 0) > 0 else "") + _fmt(r.difference)]
                for r in dims.itertuples(index=False)]
        add_table(document, ["督查内容", "你单位", "90%区间", "本类别平均", "差值"], rows, [5.4, 2.2, 3.2, 2.6, 2.2])

    overall = feedback.groups.overall
    if feedback.groups.unit_score is not None and not overall.empty:
        number += 1
        heading(number, "各评议组别评价")
        rows = [[r.name_zh, _responses(r.withheld, r.responses), _fmt(r.score), _fmt(_plain(r.difference))]
                for r in overall.itertuples(index=False)]
        add_table(document, ["评议组别", "答卷数", "得分", "与总体差值"], rows, [5, 3.6, 3, 3])

    poll = feedback.poll
    if not poll.empty:
        number += 1
        heading(number, "群众网上评议满意度")
        votes = int(poll["votes"].sum())
        points = float((poll["satisfaction"].fillna(0) * poll["votes"]).sum())
        paragraph(f"全年有效投票{votes}票，满意度{_fmt(points / votes if votes else None)}分。各月情况如下：")
        add_table(document, ["月份", "票数", "满意", "基本满意", "不满意", "满意度"],
               [[r.period.strftime("%Y年%m月"), r.votes, r.satisfied, r.basically_satisfied, r.dissatisfied,
                 _fmt(r.satisfaction)] for r in poll.itertuples(index=False)], [3.2, 2.4, 2.4, 2.4, 2.4, 2.4])

    number += 1
    heading(number, "评议意见和群众留言")
    shown = [s for s in digest.sources if not s.withheld and s.comments]
    if shown:
        paragraph("收到" + "、".join(f"{SOURCES_ZH[s.source]}{s.comments}条" for s in shown)
                  + "（已隐去电话、证件号码等个人信息，相同或相近的意见合并计数）。按主题归纳如下：")
        for k, theme in enumerate(digest.themes, start=1):
            title = f"关于“{theme.term}”" if theme.term else "其他意见"
            examples = "；".join(f"“{free(c.text)}”" + (f"（{c.count}条）" if c.count > 1 else "")
                                for c in theme.comments[:EXAMPLES_PER_THEME])
            paragraph(f"{k}. {title}（{theme.count}条）：{examples}")
    else:
        paragraph("本年度没有可以反馈的评议意见或群众留言。")
    if any(s.withheld for s in digest.sources):
        paragraph(f"少于{SMALL_CELL}条的意见来源不在本函中列出，以免识别出提出意见的人。")

    number += 1
    heading(number, "明察暗访发现问题、媒体曝光和问责情况")
    if not (feedback.findings or feedback.media or feedback.cases):
        paragraph("本年度没有移交你单位的问题、媒体曝光案件或问责案件。")
    if feedback.findings:
        paragraph(f"明察暗访发现问题{len(feedback.findings)}个：")
        add_table(document, ["检查日期", "督查内容", "严重程度", "问题", "状态"],
               [[chinese_date(f.visited_on), f.dimension_zh, SEVERITIES_ZH.get(f.severity, f.severity),
                 free(f.description), FINDING_STATES_ZH.get(f.state, f.state)] for f in feedback.findings[:MAX_ROWS]],
               [3, 3, 2, 5.6, 2])
    if feedback.media:
        paragraph(f"媒体曝光问题{len(feedback.media)}件：")
        add_table(document, ["曝光日期", "渠道", "问题", "状态"],
               [[chinese_date(m.exposed_on), m.source_zh, free(m.title), MEDIA_STATES_ZH.get(m.status, m.status)
                 + ("（逾期）" if m.overdue else "")] for m in feedback.media[:MAX_ROWS]], [3, 3.4, 7, 2.4])
    if feedback.cases:
        paragraph(f"倒查追责案件{len(feedback.cases)}件：")
        add_table(document, ["立案日期", "事项", "严重程度", "状态"],
               [[chinese_date(c.opened_on), free(c.title), SEVERITIES_ZH.get(c.severity, c.severity),
                 CASE_STATES_ZH.get(c.state, c.state)] for c in feedback.cases[:MAX_ROWS]], [3, 8, 2.4, 2.4])
    if max(len(feedback.findings), len(feedback.media), len(feedback.cases)) > MAX_ROWS:
        paragraph(f"以上各表列出最近{MAX_ROWS}项，完整清单请在系统中查阅。")

    number += 1
    heading(number, "整改要求")
    open_notices = [r for r in feedback.rectifications if r.state != "verified"]
    for r in feedback.rectifications:
        talks = "、".join(TALK_ROLES_ZH.get(t, t) for t in r.talked_to)
        reason = RECTIFICATION_REASONS_ZH.get(r.reason, r.reason)
        text = (f"你单位因{reason}，于{chinese_date(r.issued_on)}收到整改通知书"
                f"{('（' + r.notice_no + '）') if r.notice_no else ''}，整改期限至{chinese_date(r.deadline)}，"
                f"目前状态为“{RECTIFICATION_STATES_ZH.get(r.state, r.state)}”")
        text += f"，已对{talks}进行约谈。" if talks else "。"
        if r.overdue and r.state != "verified":
            text += f"已逾期{r.days_overdue}天，请立即报送整改情况。"
        paragraph(text)
    if open_notices:
        paragraph("请严格按照整改通知书的要求，于期限前将整改情况书面报送区治庸问责办、纠风办；整改结果将接受群众评议，"
                  "对整改不力、敷衍塞责的，将启动二次办理程序。")
    elif feedback.grade == "unqualified":
        paragraph("你单位被评为不合格，整改通知书将另行下发，单位主要负责人和分管负责人将被约谈。")
    else:
        paragraph("请对照本函反馈的问题和意见，逐项研究改进措施，并在下一年度工作总结中报告落实情况。")
    unanswered = sum(f.state == "handed_over" for f in feedback.findings)
    if unanswered:
        paragraph(f"尚有{unanswered}个明察暗访问题未答复，请及时在系统中答复。")

    paragraph("")
    paragraph(office, indent=False, align="right")
    published = feedback.result.published_at
    if published is not None:
        paragraph(chinese_date(to_office(published).date()), indent=False, align="right")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
