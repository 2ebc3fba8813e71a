"""The results workbook (Excel): ranking per category, components, intervals, panel detail and the breakdown
of every score (sheet 计算过程). Text a spreadsheet would run as a formula is written with a leading '."""

from __future__ import annotations

import io

from core.clock import to_office
from core.scoring import interval_method_of
from documents.labels import (
    DEMO_MARK,
    DEMO_WARNING,
    GRADES_ZH,
    INTERVAL_METHODS_ZH,
    INTERVAL_SHORT_ZH,
    METHODS_ZH,
    SEVERITIES_ZH,
    STATUS_ZH,
)
from documents.results import LONELY_ZH, NOTES_ZH, ResultDocument, by_category, note_text, number_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Text a spreadsheet would run as a formula (a finding or case title is typed by people) gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _append(sheet, values: list) -> None:
    sheet.append([defuse(v) for v in values])


def _number(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def _beijing(moment) -> str:
    """A stored UTC moment as the pages show it: Beijing time, to the second."""
    return to_office(moment).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"


def workbook_bytes(document: ResultDocument) -> bytes:
    """Ranking per category, components, intervals, panel detail and the breakdown of every score."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    bold = Font(bold=True)
    amber = PatternFill("solid", fgColor="FFF2CC")
    about = book.active
    about.title = "说明"
    settings = document.config.get("settings", {})
    weights = settings.get("method_weights", {})
    rules = settings.get("grade_rules", {})
    panel = document.config.get("panel", {})
    method = interval_method_of(document.config)
    short = INTERVAL_SHORT_ZH[method]
    lines = [
        (f"{document.campaign_name} 结果", None),
        *([(DEMO_MARK, DEMO_WARNING)] if document.is_demo else []),
        ("版本", f"第 {document.version} 版（{STATUS_ZH.get(document.status, document.status)}）"),
        ("计算时间", _beijing(document.created_at)),
        ("发布时间", _beijing(document.published_at) if document.published_at else "未发布"),
        ("发布人", document.published_by or "—"),
        ("输入数据 SHA-256", document.input_hash),
        ("计算规则版本", document.config.get("engine", "")),
        ("方式权重", "、".join(f"{METHODS_ZH[m]} {weights.get(m, 0):g}%" for m in METHODS_ZH)),
        ("等次分数线", f"优秀 ≥ {number_text(rules.get('excellent_min'))} 分；"
                      f"合格 ≥ {number_text(rules.get('qualified_min'))} 分；其余不合格"),
        ("优秀比例", f"每类至多 {rules.get('excellent_quota_pct')}%（向下取整；0 表示不限）。"
                    "限额边界同分的单位同等对待：若全部评为优秀会超出限额，则均评为合格"),
        ("否决与整改", "有一票否决记录或整改群众不满意的单位评为不合格（按本年度设置）"),
        ("缺项处理", "某一方式无数据时不按 0 分计，其权重按比例分配给其余方式，并在说明中列出"),
        ("集中评议加权", "按评议组别在人员库中的人数加权（N_h/n_h）" if panel.get("weighting") != "policy"
         else "按固定政策权重：" + "、".join(f"{document.group_names.get(g, g)} {w:g}%"
                                              for g, w in panel.get("group_weights", {}).items())),
        ("单份答卷组别", LONELY_ZH.get(panel.get("lonely_group", "adjust"), "")),
        ("不确定性", f"自助法 {document.config.get('bootstrap_replicates')} 次（{short}；按票数重抽投票），"
                    f"权重模拟 {document.config.get('weight_draws')} 次（扰动幅度 "
                    f"{settings.get('uncertainty', {}).get('weight_noise')}），随机种子 "
                    f"{settings.get('uncertainty', {}).get('seed')}"),
        ("区间方法", f"得分 90% 区间（各单位×维度、集中评议得分、综合得分）：{INTERVAL_METHODS_ZH[method]}；"
                    "投票按各单位票数多项分布重抽，媒体、投诉、明察暗访和日常工作得分不变。"
                    "自助法排名区间：各次重抽排名的 5%–95%。排名区间（权重模拟）：权重扰动后排名的 5%–95%。"
                    "满意率区间：Wilson 95% 区间。标准误：线性化（泰勒展开）含有限总体校正，同 R survey 的 svymean"),
        ("临界", "不受否决影响，且 90% 得分区间跨越等次分数线，或优秀限额生效时排名区间跨越限额位置"),
    ]
    for note in document.config.get("notes", []):
        lines.append(("提示", note_text(note) if note.get("code") in NOTES_ZH else _campaign_note(note, document)))
    for label, value in lines:
        _append(about, [label, value])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 110

    header = ["排名", "单位", "等次", "综合得分", *METHODS_ZH.values(), f"得分区间下限（90%，{short}）",
              f"得分区间上限（90%，{short}）",
              "排名区间（权重模拟 5%）", "排名区间（权重模拟 95%）", "临界", "说明"]
    for category, rows in by_category(document).items():
        sheet = book.create_sheet(category[:31])
        _append(sheet, header)
        for row in rows:
            notes = "；".join(note_text(n) for n in row.explanation.get("notes", []))
            _append(sheet, [row.rank, row.unit_name, GRADES_ZH.get(row.grade, row.grade), _number(row.total),
                          *[_number(row.components.get(m)) for m in METHODS_ZH], _number(row.score_low),
                          _number(row.score_high), row.rank_low, row.rank_high, "是" if row.borderline else "",
                          notes])
            if row.borderline:
                for cell in sheet[sheet.max_row]:
                    cell.fill = amber
        _style(sheet, bold, [6, 40, 8, 10, 10, 10, 10, 12, 14, 14, 14, 14, 6, 60])

    detail = book.create_sheet("集中评议明细")
    _append(detail, ["类别", "单位", "维度", "估计值", "标准误", f"90% 区间下限（{short}）", f"90% 区间上限（{short}）",
                   "有效答卷", "不了解", "满意", "基本满意", "不满意", "仅 1 份答卷的组别"])
    for row in document.rows:
        for code, cell in row.explanation.get("panel", {}).get("dimensions", {}).items():
            options = cell.get("options", {})
            low, high = cell.get("interval") or (None, None)  # none in results from before scoring-v2
            _append(detail, [row.category_zh, row.unit_name, document.dimension_names.get(code, code),
                           _number(cell.get("estimate")), _number(cell.get("se"), 3), _number(low), _number(high),
                           cell.get("valid"),
                           cell.get("unknown"), options.get("satisfied"), options.get("basically_satisfied"),
                           options.get("dissatisfied"),
                           "、".join(document.group_names.get(g, g) for g in cell.get("lonely_groups", []))])
    _style(detail, bold, [22, 40, 26, 10, 10, 14, 14, 10, 8, 8, 10, 8, 24])

    groups = book.create_sheet("评议组别")
    group_codes = list(document.group_names)
    _append(groups, ["类别", "单位", "集中评议得分", f"90% 区间（{short}）",
                     *[document.group_names[g] for g in group_codes], "评价偏低的组别"])
    for row in document.rows:
        panel_part = row.explanation.get("panel", {})
        by_group = panel_part.get("groups", {})
        low, high = panel_part.get("interval") or (None, None)
        _append(groups, [row.category_zh, row.unit_name, _number(panel_part.get("score")),
                       "—" if low is None else f"{low:.2f}–{high:.2f}",
                       *[_number(by_group.get(g, {}).get("mean")) for g in group_codes],
                       "、".join(document.group_names.get(g, g) for g in panel_part.get("lower_groups", []))])
    _style(groups, bold, [22, 40, 12, 16, *[12] * len(group_codes), 30])

    steps = book.create_sheet("计算过程")
    _append(steps, ["类别", "单位", "实际权重", "各方式贡献", "投票（满意/基本满意/不满意）", "未计入投票",
                  "投票原始指数",
                  "类别平均", "收缩后指数", "满意率 95% 区间", "媒体案件数", "按时答复", "已办结", "群众评价",
                  "媒体得分", "群众投诉数", "按时受理", "按时办结", "回访满意度", "投诉办理得分",
                  "暗访次数", "问题（扣分）", "日常工作", "否决", "整改不满意", "自助法排名区间",
                  "权重模拟排名中位数"])
    for row in document.rows:
        e = row.explanation
        poll = e.get("online", {}).get("poll", {})
        media = e.get("online", {}).get("media", {})
        complaints = e.get("online", {}).get("complaints") or {}  # none in results from before complaints counted
        inspection = e.get("inspection", {})
        votes = poll.get("votes", {})
        wilson = poll.get("wilson95")
        uncertainty = e.get("uncertainty", {})
        boot_rank = uncertainty.get("bootstrap_rank")
        _append(steps, [
            row.category_zh, row.unit_name,
            "、".join(f"{METHODS_ZH[m]} {w:g}%" for m, w in e.get("weights_used", {}).items()),
            "、".join(f"{METHODS_ZH[m]} {w:.2f}" for m, w in e.get("contributions", {}).items()),
            f"{votes.get('satisfied', 0)}/{votes.get('basically_satisfied', 0)}/{votes.get('dissatisfied', 0)}",
            poll.get("set_aside"), _number(poll.get("raw")), _number(poll.get("category_mean")),
            _number(poll.get("index")),
            f"{wilson[0]:.3f}–{wilson[1]:.3f}" if wilson else "无投票",
            media.get("cases"), _fraction(media.get("on_time")), _fraction(media.get("resolved")),
            _number((media.get("satisfaction") or {}).get("score")), _number(media.get("score")),
            complaints.get("complaints"), _fraction(complaints.get("ack_on_time")),
            _fraction(complaints.get("closed_on_time")), _number((complaints.get("satisfaction") or {}).get("score")),
            _number(complaints.get("score")),
            inspection.get("visits"),
            "；".join(f"{SEVERITIES_ZH.get(f['severity'], f['severity'])}:{f['description']}(-{f['deduction']:g})"
                     for f in inspection.get("findings", [])),
            _number(e.get("daily", {}).get("score")),
            "、".join(e.get("overrides", {}).get("vetoes", [])),
            "、".join(e.get("overrides", {}).get("rejections", [])),
            f"{boot_rank[0]:g}–{boot_rank[1]:g}" if boot_rank and None not in boot_rank else "",
            uncertainty.get("weights_rank_median"),
        ])
    _style(steps, bold, [22, 40, 40, 40, 20, 10, 10, 10, 10, 16, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 8, 60, 10,
                         24, 24, 14, 12])
    for sheet in book.worksheets[1:]:
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                long_text = isinstance(cell.value, str) and len(cell.value) > 30
                cell.alignment = Alignment(vertical="top", wrap_text=long_text)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _campaign_note(note: dict, document: ResultDocument) -> str:
    code = note.get("code")
    if code == "lonely_group":
        return (f"{note.get('cells')} 个单位×维度中有评议组别仅 1 份有效答卷（{note.get('groups')}），"
                f"标准误{LONELY_ZH.get(note.get('rule'), '')}")
    if code == "missing_component":
        method = METHODS_ZH.get(note.get("method"), note.get("method"))
        return f"{note.get('count')} 家单位缺少{method}数据，权重按比例分配"
    if code == "policy_weights":
        return f"集中评议按固定政策权重合成：{note.get('weights')}"
    if code == "no_questionnaires":
        return "尚无提交的集中评议答卷"
    return str(code)


def _fraction(part: dict | None) -> str:
    if not part or not part.get("of"):
        return "—"
    return f"{part.get('count')}/{part.get('of')}"


def _style(sheet, bold, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "C2"
    for k, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
