"""The circular (通报) draft in Word: every unit's grade by category, for the office to edit and sign."""

from __future__ import annotations

import io
from datetime import date

from documents.labels import DEMO_MARK, DEMO_WARNING, GRADES_ZH, METHODS_ZH, STATUS_ZH
from documents.results import ResultDocument, by_category, number_text
from documents.word import BODY_FONT, TITLE_FONT, add_paragraph, add_table, chinese_date, mark_demo, official_document

NUMERALS = "一二三四五六七八九十"


def circular_bytes(document: ResultDocument, *, issued_on: date | None = None) -> bytes:
    """The draft circular (通报) with every unit's grade by category, for the office to edit and sign."""
    doc = official_document()

    def paragraph(text: str, *, indent: bool = True, **style):
        return add_paragraph(doc, text, indent=indent, **style)

    draft = "（草稿）" if document.status == "published" else "（草稿·暂定结果，尚未发布）"
    if document.is_demo:
        mark_demo(doc)
        draft = f"（{DEMO_MARK}）{draft}"
    paragraph(f"关于{document.year}年度履职尽责督促检查结果的通报{draft}", align="center", size=22,
              font=TITLE_FONT, bold=True, indent=False)
    if document.is_demo:
        paragraph(DEMO_WARNING, align="center", indent=False, bold=True)
    paragraph("")
    paragraph("各有关单位：", indent=False)
    weights = document.config.get("settings", {}).get("method_weights", {})
    rules = document.config.get("settings", {}).get("grade_rules", {})
    categories = by_category(document)
    total_units = sum(len(rows) for rows in categories.values())
    paragraph(f"根据《区纠风办关于{document.year}年度加强履职尽责督促检查工作的实施方案》，区纠风办对{total_units}家单位"
              "开展了履职尽责督促检查。通过明察暗访、大数据评议、集中评议和日常工作评价，按"
              + "、".join(f"{METHODS_ZH[m]}{weights.get(m, 0):g}%" for m in METHODS_ZH)
              + f"的权重换算成综合得分，分类评定等次（综合得分{number_text(rules.get('excellent_min'))}分及以上为优秀，"
              f"{number_text(rules.get('qualified_min'))}分及以上为合格；优秀等次每类不超过{number_text(rules.get('excellent_quota_pct'))}%）。"
              "现将结果通报如下：")
    for k, (category, rows) in enumerate(categories.items()):
        paragraph(f"{NUMERALS[k % 10]}、{category}（{len(rows)}家）", font=TITLE_FONT, bold=True)
        for grade in ("excellent", "qualified", "unqualified"):
            names = [r.unit_name for r in rows if r.grade == grade]
            paragraph(f"{GRADES_ZH[grade]}（{len(names)}家）：{'、'.join(names) if names else '无'}。")
        add_table(doc, ["排名", "单位", "综合得分", "等次"],
                  [[str(row.rank), row.unit_name, f"{row.total:.2f}", GRADES_ZH.get(row.grade, row.grade)]
                   for row in rows], [2, 9, 2.5, 2.1], font=BODY_FONT, size=12)
    unqualified = [r.unit_name for r in document.rows if r.grade == "unqualified"]
    paragraph("有关要求", font=TITLE_FONT, bold=True)
    paragraph("评为不合格等次的单位以及整改问题群众不满意的单位，由区纠风办下发整改通知书，限期整改，"
              "并约谈单位主要负责人和分管负责人。"
              + (f"本年度涉及：{'、'.join(unqualified)}。" if unqualified else "本年度无不合格单位。")
              + "督促检查结果纳入各单位绩效考核，并报区领导。")
    if document.objections:
        paragraph(objection_paragraph(document.objections))
    paragraph(f"本通报依据结果第{document.version}版（{STATUS_ZH.get(document.status, document.status)}），"
              f"输入数据校验码（SHA-256）前16位：{document.input_hash[:16]}。", size=12)
    if document.bundle_sha256:
        paragraph(f"验证包校验码（SHA-256）：{document.bundle_sha256}。验证包可由区纠风办提供，"
                  "用 python -m core.verify 验证包.zip 复算每个单位的得分、等次和排名。", size=12)
    paragraph("")
    paragraph("区纠风办", align="right", indent=False)
    paragraph(chinese_date(issued_on or date.today()), align="right", indent=False)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def objection_paragraph(o: dict) -> str:
    """What the circular says about the objection period (公示) and the objections it brought."""
    text = (f"结果已于{chinese_date(o['opens_on'])}至{chinese_date(o['closes_on'])}在被评议单位范围内公示"
            f"（{o['working_days']}个工作日），共收到异议{o['received']}件，"
            f"经审核成立{o['upheld']}件、不成立{o['dismissed']}件")
    if o.get("open"):
        text += f"，尚未处理{o['open']}件"
    return text + "。" + ("成立的异议已据实更正并重新计分。" if o["upheld"] else "")
