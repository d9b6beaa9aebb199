"""Every message the interface shows has a Simplified Chinese translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.core.config import ROOT
from app.core.i18n import catalogue_files, gettext

METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True"}}


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)},
        directory_filter=lambda d: not Path(d).name.startswith(".") and Path(d).name != "var",
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_is_translated():
    messages = _source_messages()
    assert len(messages) > 100  # the extraction really saw the app and the templates
    catalogue = {}
    for po in catalogue_files():
        with po.open("rb") as fh:
            catalogue |= {m.id: m.string for m in read_po(fh) if m.id}
    untranslated = sorted(m for m in messages if not catalogue.get(m))
    assert untranslated == []


def test_gettext_answers_in_chinese():
    assert gettext("City overview") == "全市概览"
    assert gettext("{field} is required.").format(field="填报人") == "填报人不能为空。"
