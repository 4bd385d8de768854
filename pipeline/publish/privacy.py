"""The privacy rule (CONTRACT 7): person-based figures of small areas are shown as suppressed, never a number."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import indicator, person_based
from pipeline.publish.glossary import method_text
from pipeline.publish.glossary import text as glossary_text
from pipeline.publish.i18n import Language, current
from pipeline.publish.status_text import basis_text

NO_DATA = "no data"
NOT_RELEVANT = "not relevant"
# The family housing figures of omdannelsesområder: "not relevant" (not "no data") for an area of another status.
CAP_COLUMNS = frozenset({"gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings"})


def min_residents(config: Config) -> int:
    """Fewest residents an area or district needs before its person-based figures are shown."""
    return int(config["privacy"]["min_residents"])


def suppressed_label(config: Config) -> str:
    """The word shown instead of a suppressed figure (in tables as configured; on pages `page_suppressed_label`)."""
    return str(config["privacy"]["suppressed_label"])


def page_suppressed_label(config: Config, lang: Language | None = None) -> str:
    """The suppressed label in the page's language: the catalogue's translation of the configured word, if any."""
    return (lang or current())(suppressed_label(config))


def is_small(counts: pd.Series, minimum: int) -> pd.Series:
    """Rows whose population is below the minimum, or unknown (then nothing person-based is shown either)."""
    numbers = pd.to_numeric(counts, errors="coerce")
    return (numbers < minimum) | numbers.isna()


def suppress_table(frame: pd.DataFrame, small: pd.Series, label: str) -> pd.DataFrame:
    """A copy where every person-based column of the small rows holds the label instead of its value."""
    out = frame.copy()
    for column in person_based(out.columns):
        values = out[column].astype(object)
        out[column] = values.where(~small.to_numpy(), label)
    return out


# Columns whose text values are words of the pipeline (categories, sources, methods), shown in the page's
# language; every other text column (names, ids, data notes) is data and shown as given.
WORD_COLUMNS = frozenset({"support_residents", "support_dwellings", "support_c1", "support_c2", "support_c3",
                          "support_c4", "support_non_western", "kind", "area_type"})
# Text columns holding yes/no values (True/False in the data).
YES_NO_COLUMNS = frozenset({"public", "walk", "bike", "contains_site"})


def format_column(values: pd.Series, column: str, lang: Language | None = None) -> pd.Series:
    """The column as the text a planner reads, in the page language (`lang`, else the one being built):
    units, percent, thousands separators (da 1.234 m, 45,7 %; en 1,234 m, 45.7%); nulls as "no data"."""
    lang = lang or current()
    kind = indicator(column).kind
    no_data = lang(NO_DATA)
    if kind == "flag" or column in YES_NO_COLUMNS:
        words = {True: lang("yes"), False: lang("no"), "True": lang("yes"), "False": lang("no")}
        formatted = lambda v: words.get(v, no_data)  # noqa: E731 (anything but yes/no values reads "no data")
    elif kind == "text":
        formatted = _text_format(column, lang)
    else:  # the glossary's one format of the figure (pipeline/publish/glossary.py), as the profiles write it
        values = pd.to_numeric(values, errors="coerce")
        formatted = lambda v: glossary_text(lang, column, v)  # noqa: E731
    # one Python loop over the column's values (no Series built per step): pages format every column of every layer
    missing = values.isna().to_numpy()
    texts = [no_data if gone else formatted(v) for v, gone in zip(values.tolist(), missing, strict=True)]
    return pd.Series(texts, index=values.index, dtype=object, name=values.name)


def _text_format(column: str, lang: Language):
    """The formatter of a text column: words of the pipeline translated, a distance method in words, data as given."""
    if column in WORD_COLUMNS:
        return lambda word: lang(str(word))
    if column == "distance_method":
        return lambda method: method_text(str(method), lang)
    if column == "status_basis":
        return lambda basis: basis_text(lang, basis)
    return str


def display_frame(frame: pd.DataFrame, columns: list[str], small: pd.Series, label: str,
                  lang: Language | None = None) -> pd.DataFrame:
    """Formatted text of the columns, with person-based ones of small rows replaced by the label."""
    shown = pd.DataFrame(index=frame.index)
    protected = set(person_based(columns))
    for column in columns:
        text = format_column(frame[column], column, lang)
        if column in CAP_COLUMNS and "status" in frame.columns:  # the cap binds omdannelsesområder only
            text = text.where(~(frame["status"].notna() & frame["status"].ne("omdannelse")).to_numpy(),
                              (lang or current())(NOT_RELEVANT))
        if column in protected:
            text = text.where(~small.to_numpy(), label)
        shown[column] = text
    return shown


# A count of people in a warning's text: "3 residents", "1,204 pupils" (the run writes its warnings in English).
PERSON_COUNT_IN_TEXT = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(\s+)(residents?|pupils?|people|persons?|children|adults)\b")


def warning_for_page(message: str, minimum: int) -> str:
    """A run warning as a page may show it: each count of people under the minimum written "fewer than
    <minimum>" (run.json and the log keep the warning whole, for whoever runs the pipeline)."""
    def hide(match: re.Match) -> str:
        count = int(match.group(1).replace(",", ""))
        return match.group(0) if count >= minimum else f"fewer than {minimum:,}{match.group(2)}{match.group(3)}"
    return PERSON_COUNT_IN_TEXT.sub(hide, message)
