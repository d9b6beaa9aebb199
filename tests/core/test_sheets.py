"""The one writer of .xlsx and CSV cells: text that starts like a formula stays text, numbers
stay numbers."""

import csv
import io
from io import BytesIO

from openpyxl import load_workbook

from app.core import sheets
from app.core.sheets import Column

ROW = ["=1+1", "+86 138", "-减免", "@x", "\tx", -1, 2.5, "普通文本"]


def test_xlsx_cells_are_strings_or_numbers_never_formulas():
    body = sheets.workbook([("表", [Column(str(i)) for i in range(len(ROW))], [ROW])])
    ws = load_workbook(BytesIO(body))["表"]
    cells = next(ws.iter_rows(min_row=2, max_row=2))
    assert [c.data_type for c in cells] == ["s", "s", "s", "s", "s", "n", "n", "s"]
    assert [c.value for c in cells] == ROW


def test_csv_text_that_starts_like_a_formula_gets_an_apostrophe_numbers_do_not():
    body = sheets.csv_bytes([Column(str(i)) for i in range(len(ROW))], [ROW])
    line = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
    assert line == ["'=1+1", "'+86 138", "'-减免", "'@x", "'\tx", "-1", "2.5", "普通文本"]
