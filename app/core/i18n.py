"""gettext for the interface: English message ids, Simplified Chinese catalogue.

The catalogue is compiled from its .po file in memory at first use, so no build
step or generated .mo file stands between an edit and the running app.
"""

import gettext as _gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DEFAULT_LOCALE = "zh_CN"


def catalogue_files(locale: str = DEFAULT_LOCALE) -> list[Path]:
    """A locale's .po files: messages.po, and one per domain where a domain keeps its own."""
    return sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))


@lru_cache
def translations(locale: str = DEFAULT_LOCALE) -> _gettext.NullTranslations:
    """Loads a locale's catalogues as one; an unknown locale falls back to the message ids."""
    files = catalogue_files(locale)
    if not files:
        return _gettext.NullTranslations()
    merged = None
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        if merged is None:
            merged = catalog
        else:
            for message in catalog:
                if message.id and message.string:
                    merged[message.id] = message
    buf = BytesIO()
    write_mo(buf, merged)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(message: str) -> str:
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


_ = gettext
