"""The Chinese words printed on documents, one table for all of them.

Documents are official papers of a Chinese office, so they speak Chinese whatever the interface
language; the interface's own words are in ui/locales. A label used by two documents is defined
here once, so that the problem list, the circular, the workbook and the feedback letter never call
one state by two names.
"""

from __future__ import annotations

GRADES_ZH = {"excellent": "优秀", "qualified": "合格", "unqualified": "不合格"}
METHODS_ZH = {"panel": "集中评议", "online": "大数据评议", "inspection": "明察暗访", "daily": "日常工作评价"}
STATUS_ZH = {"provisional": "暂定", "published": "已发布"}
SEVERITIES_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}
OPTIONS_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unknown": "不了解"}
# How a result's 90 % score intervals were made (core.scoring.interval_method_of): in full, and short for headers.
INTERVAL_METHODS_ZH = {
    "rescaled_bootstrap_t": "Rao–Wu 重标度自助法（组内每次抽 n_h−1 名评议人，按有限总体校正缩放），"
                            "学生化（自助法 t 区间）",
    "with_replacement_percentile": "组内有放回重抽评议人（n_h 抽 n_h），百分位区间"
                                   "（scoring-v2 之前的方法，抽样比例大时区间偏宽）",
    "none": "未计算（自助法重抽 0 次）",
}
INTERVAL_SHORT_ZH = {"rescaled_bootstrap_t": "重标度自助法t", "with_replacement_percentile": "有放回自助法百分位",
                     "none": "未计算"}

INSPECTION_KINDS_ZH = {"open": "明察", "covert": "暗访"}
# A handed-over finding waits for the unit's answer: the documents say so (the unit reads them).
FINDING_STATES_ZH = {"recorded": "已记录", "handed_over": "已移交待答复", "answered": "已答复", "closed": "已办结"}
CASE_STATES_ZH = {"received": "已受理", "investigating": "调查中", "decided": "已处理", "circulated": "已通报",
                  "second_handling": "二次办理"}
MEDIA_STATES_ZH = {"open": "未答复", "answered": "已答复", "resolved": "已办结"}
RECTIFICATION_STATES_ZH = {"issued": "已下发", "in_progress": "整改中", "submitted": "已报告", "verified": "已验收"}
# Why a notice was issued: a short label in lists, and the clause the notice itself writes
# ("根据……实施方案，你单位{clause}。").
RECTIFICATION_REASONS_ZH = {"unqualified": "评为不合格", "public_rejected": "整改问题群众不满意",
                            "finding": "明察暗访发现问题"}
NOTICE_REASON_CLAUSES_ZH = {
    "unqualified": "在{year}年度履职尽责督促检查中被评为不合格",
    "public_rejected": "整改问题群众不满意",
    "finding": "在明察暗访中被发现存在较为突出的问题",
}
TALK_ROLES_ZH = {"head": "主要负责人", "deputy": "分管领导"}

# Every document made from demo data says so: a red line in every page header of a Word document
# (documents.word.mark_demo), a warning above its title, and a first sheet in a workbook.
DEMO_MARK = "演示数据"
DEMO_HEADER = "演示数据 · 非真实评议结果 · 不得印发"
DEMO_WARNING = "本文件由演示数据生成，不是真实评议结果，不得印发或引用。"
NOTICE_DEMO_WARNING = "本文件由演示数据生成，不是真实整改通知，不得印发。"
