"""Media-case registers as an office keeps them, made in memory for tests (files via pool_files)."""

from __future__ import annotations

from datetime import date, timedelta

HEADER = ["来源", "编号", "单位", "标题", "曝光日期", "答复日期", "办理状态", "重复反映", "群众满意度", "答复内容"]
SOURCES = ["《每日快报》", "长江日报留言板", "全媒体监督平台", "作风聚焦"]
UNITS = ["区发改局(区统计局)", "区公安分局(区交管局)", "开发区供电公司", "es02"]


def cases(n: int = 20) -> list[list[str]]:
    """n valid rows: every channel and unit spelling, answered and open cases, dates in three formats."""
    rows = []
    for k in range(n):
        exposed = date(2017, 3, 1) + timedelta(days=3 * k)
        answered = exposed + timedelta(days=2 + k % 9) if k % 3 else None
        chinese = f"{exposed.year}年{exposed.month}月{exposed.day}日"
        written = (exposed.isoformat(), exposed.strftime("%Y/%m/%d"), chinese)
        rows.append([SOURCES[k % 4], f"REF-{k:04d}", UNITS[k % 4], f"问题{k}:路灯不亮", written[k % 3],
                     answered.isoformat() if answered else "", "" if k % 5 else ("已办结" if answered else "未答复"),
                     "是" if k % 7 == 0 else "否", "满意" if answered and k % 2 else "", "已处理" if answered else ""])
    return rows
