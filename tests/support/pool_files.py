"""Reviewer-pool files as offices produce them, made in memory for tests."""

from __future__ import annotations

import csv
import io

import openpyxl

from core.pool_import import id_check_char

GROUP_NAMES = ["服务对象", "人大代表", "政协委员", "行评代表", "机关干部", "社区群干"]
SIZES = [523, 417, 381, 299, 236, 144]
HEADER = ["姓名", "类别", "工作单位", "手机号码", "身份证号", "备注"]


def id_number(k: int) -> str:
    first17 = f"420113{1960 + k % 40:04d}{1 + k % 12:02d}{1 + k % 28:02d}{k % 1000:03d}"
    return first17 + id_check_char(first17)


def people(sizes=SIZES) -> list[list[str]]:
    rows, k = [], 0
    for group, size in zip(GROUP_NAMES, sizes):
        for _ in range(size):
            rows.append([f"评议人{k:04d}", group, f"单位{k % 50}", f"139{k:08d}", id_number(k), ""])
            k += 1
    return rows


def csv_bytes(rows, *, header=HEADER, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
