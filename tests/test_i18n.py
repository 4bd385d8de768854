"""The page languages: Danish and English number, percent and date formats, and the catalogue lookup."""

import math

import pytest

from pipeline.publish.i18n import language, missing_messages

NBSP = "\u00a0"


@pytest.mark.parametrize(("code", "count", "share", "date"), [
    # Danish: dot groups thousands, comma is the decimal mark, a (no-break) space before %, day-month-year.
    ("da", "1.376", f"12,5{NBSP}%", "29. november 2026"),
    ("en", "1,376", "12.5%", "November 29, 2026"),
])
def test_numbers_percentages_and_dates_follow_the_language(code, count, share, date):
    lang = language(code)
    assert lang.number(1376) == count
    assert lang.percent(0.125) == share
    assert lang.date("2026-11-29") == date


def test_unknown_is_no_data_in_the_language_never_zero():
    assert language("da").number(math.nan) == "ingen data"
    assert language("da").percent(None) == "ingen data"
    assert language("en").number(None) == "no data"


def test_messages_are_looked_up_and_filled():
    assert language("da")("no data") == "ingen data"
    assert language("en")("{n} areas", n=3) == "3 areas"  # English needs no catalogue: the id is the text
    assert missing_messages(["no data", "a text nobody translated"]) == ["a text nobody translated"]
    with pytest.raises(ValueError, match="unknown page language"):
        language("sv")
