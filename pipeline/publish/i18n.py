"""The language of the published pages: message catalogues and Danish or English numbers, percentages and dates.

Every text a page shows is an English message id looked up here (`lang("Social balance")`); the Danish
texts live in gettext catalogues, one or more .po files under pipeline/publish/locale/da/LC_MESSAGES/ (a
page module may keep its own file, e.g. profiles.po, so catalogues are not one file everybody edits).
They are read with Babel's .po reader at run time (no compile step, nothing generated to keep in step);
English needs no catalogue: the message ids are the English texts. Numbers, percentages and dates are
formatted by Babel with the language's conventions (da: 1.376, 12,5 %, 29. november 2026).

To add a text: write `lang("English text {name}", name=...)` in the page module and add the msgid with its
Danish msgstr to a .po file under locale/da/LC_MESSAGES/; a test walks every page and fails on English left on
a Danish page, and `missing_messages` lists ids the catalogue lacks.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, parse_pattern

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("da", "en")
NO_DATA = "no data"


@dataclass(frozen=True)
class Language:
    """One page language: its message catalogue and its number, percent and date formats."""

    code: str
    messages: Mapping[str, str] = field(repr=False)

    def __call__(self, message: str, /, **values: object) -> str:
        """The text in this language, with {name} placeholders filled from `values`."""
        text = self.messages.get(message) or message
        return text.format(**values) if values else text

    def number(self, value: object, digits: int = 0) -> str:
        """A number in this language's format (da 1.376,5; en 1,376.5); "no data" when unknown."""
        if _unknown(value):
            return self(NO_DATA)
        return _formatted(self.code, "number", max(digits, 0), str(value))

    def percent(self, share: object, digits: int = 1) -> str:
        """A share (0..1) as a percentage in this language's format (da 12,5 %; en 12.5%)."""
        if _unknown(share):
            return self(NO_DATA)
        return _formatted(self.code, "percent", max(digits, 0), str(share))

    def date(self, value: dt.date | str) -> str:
        """A date written out in this language (da 29. november 2026; en November 29, 2026)."""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return format_date(value, format="long", locale=self.code)


@cache
def _pattern(code: str, kind: str, digits: int) -> tuple[NumberPattern, Locale]:
    """The parsed Babel pattern of a number ("#,##0.0") or a percentage (the locale's, with `digits`
    decimals) and the locale: parsed once, not at every figure (what format_decimal would do)."""
    locale = Locale.parse(code)
    if kind == "percent":
        pattern = locale.percent_formats[None].pattern
        pattern = _with_decimals(pattern, digits) if digits > 0 else pattern
    else:
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return parse_pattern(pattern), locale


# A page writes the same figures many times (the areas' table on every page, a count on every job site):
# each distinct value is formatted once. Babel reads a number through its text (Decimal(str(value))), so
# the text is the key: the same text gives the same figure (and -0.0 stays apart from 0.0, float32 from float64).
@lru_cache(maxsize=1 << 16)
def _formatted(code: str, kind: str, digits: int, text: str) -> str:
    """A number or a share, given as its text, formatted by Babel as format_decimal / format_percent would."""
    pattern, locale = _pattern(code, kind, digits)
    return pattern.apply(decimal.Decimal(text), locale)


def _with_decimals(pattern: str, digits: int) -> str:
    """The locale's percent pattern with `digits` decimals after its last integer digit."""
    last = pattern.rfind("0")
    return pattern[: last + 1] + "." + "0" * digits + pattern[last + 1:]


def _unknown(value: object) -> bool:
    """True for a missing figure (None, NaN, pandas NA)."""
    try:
        return value is None or bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except TypeError:  # pandas.NA refuses bool()
        return True


@cache
def language(code: str) -> Language:
    """The page language `code` ("da" or "en") with every message catalogue found for it."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown page language {code!r}; use one of {', '.join(LANGUAGES)}")
    messages: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / code / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=code)
        messages.update({m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy})
    return Language(code, messages)


# The language of the pages being built: publish sets it for the whole build (`speaking`), so helpers that
# format a figure without being handed a language (a legend's class labels) write it in the page's language.
_PAGE_LANGUAGE: ContextVar[Language | None] = ContextVar("page_language", default=None)


@contextmanager
def speaking(lang: Language) -> Iterator[Language]:
    """Build pages in this language: `current()` returns it until the block ends."""
    token = _PAGE_LANGUAGE.set(lang)
    try:
        yield lang
    finally:
        _PAGE_LANGUAGE.reset(token)


def current() -> Language:
    """The language of the pages being built; English (the message ids) outside a page build."""
    return _PAGE_LANGUAGE.get() or language("en")


def missing_messages(ids: list[str], code: str = "da") -> list[str]:
    """The message ids without a translation in `code`'s catalogues (for tests and translators)."""
    known = language(code).messages
    return [i for i in ids if i not in known]
