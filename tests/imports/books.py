"""Workbooks for the import tests: the park's own export, edited; hand-made bad rows."""

import re
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from stdnum.cn import uscc

from app.imports.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def code(n: int, prefix: str = "91320213MA") -> str:
    """A valid unified social credit code, different for each n."""
    body = f"{prefix}{n:07d}"
    return body + uscc.calc_check_digit(body)


def download(client, url: str) -> bytes:
    resp = client.get(url)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"] == XLSX
    return resp.content


def edit(content: bytes, cells: dict[tuple[str, str], Any]) -> bytes:
    """The workbook with some cells set: {(sheet, "G2"): value}."""
    wb = load_workbook(BytesIO(content))
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def fill(content: bytes, rows: dict[str, list[list[Any]]]) -> bytes:
    """The workbook with rows appended under each sheet's header: {sheet: [[...], ...]}."""
    wb = load_workbook(BytesIO(content))
    for sheet, values in rows.items():
        for row in values:
            wb[sheet].append(row)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, park_id: int, content: bytes, filename: str = "名册.xlsx"):
    return client.post(
        "/imports",
        data={"park_id": str(park_id)},
        files={"file": (filename, content, XLSX)},
        follow_redirects=False,
    )


def job_of(resp) -> int:
    """The job an upload started, from where it redirects."""
    assert resp.status_code == 303, (resp.status_code, resp.text[:500])
    m = re.search(r"/imports/(\d+)$", resp.headers["location"])
    assert m, resp.headers["location"]
    return int(m.group(1))


def job(session, job_id: int) -> ImportJob:
    session.expire_all()
    return session.get(ImportJob, job_id)
