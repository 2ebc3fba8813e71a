"""What the result's documents share: the stored result as plain data (ResultDocument) and the
notes' wording. The documents themselves are documents.workbook (Excel) and documents.circular (Word).

Built from plain data (a stored result and its rows); nothing here reads the database or
Streamlit, so the page, the command line and tests all get the same bytes. Personal data never
appears: the panel enters only as estimates per unit, dimension and reviewer group.
"""

from __future__ import annotations

from dataclasses import dataclass

LONELY_ZH = {"adjust": "以该单位该维度总体估计为中心计算（同 R survey.lonely.psu=\"adjust\"）",
             "remove": "方差按 0 计（同 R survey.lonely.psu=\"remove\"）"}
NOTES_ZH = {
    "missing_panel": "无有效集中评议答卷，集中评议权重按比例分配给其他方式",
    "missing_online": "无网上评议数据，其权重按比例分配给其他方式",
    "missing_inspection": "本年度未被明察暗访，其权重按比例分配给其他方式",
    "missing_daily": "未录入日常工作评价，其权重按比例分配给其他方式",
    "missing_dimension": "以下维度无有效答卷，按其余维度权重计算：{dimensions}",
    "lonely_group_unit": "有评议组别仅 1 份有效答卷，标准误按规则处理：{rule}",
    "poll_category_mean": "无群众投票，投票指数取本类别平均值",
    "online_half": "网上评议中缺少{missing}，按另一部分计算",
    "veto": "有一票否决记录，评为不合格",
    "rectification_rejected": "整改群众不满意，评为不合格",
    "quota": "超出优秀比例限额，评为合格",
    "quota_tie": "与其他单位在优秀限额边界同分，按同分同等对待规则均评为合格",
    "borderline_excellent_min": "90% 区间跨越优秀分数线",
    "borderline_qualified_min": "90% 区间跨越合格分数线",
    "borderline_quota": "排名区间跨越优秀限额位置",
}
HALVES_ZH = {"poll": "群众投票", "media": "媒体曝光问题办理"}


def note_text(note: dict) -> str:
    params = {k: v for k, v in note.items() if k != "code"}
    if "missing" in params:
        params["missing"] = HALVES_ZH.get(params["missing"], params["missing"])
    if "rule" in params:
        params["rule"] = LONELY_ZH.get(params["rule"], params["rule"])
    text = NOTES_ZH.get(note.get("code", ""), note.get("code", ""))
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


@dataclass(frozen=True)
class ResultDocument:
    """What both documents need, read once from the store."""

    year: int
    campaign_name: str
    version: int
    status: str
    input_hash: str
    created_at: object
    published_at: object
    published_by: str | None
    config: dict
    rows: list  # db.scoring.ResultRow, by category and rank
    dimension_names: dict[str, str]
    group_names: dict[str, str]
    is_demo: bool = False  # made from demo data: every document says so
    # The objection period (公示) before publication: opens_on, closes_on (dates), working_days, received,
    # upheld, dismissed, open; None when the result was never posted for objections.
    objections: dict | None = None
    bundle_sha256: str | None = None  # the version's verification bundle (documents.bundle), printed on the 通报


def number_text(value) -> str:
    """A setting as the documents print it: 90, 12.5 (no trailing zeros)."""
    return f"{float(value):g}" if isinstance(value, (int, float)) else str(value)


def by_category(document: ResultDocument) -> dict[str, list]:
    categories: dict[str, list] = {}
    for row in document.rows:
        categories.setdefault(row.category_zh, []).append(row)
    return categories
