"""LIX, the Danish readability index: words per sentence plus the percent of words over six letters.

Björnsson's läsbarhetsindex as Danish plain-language guidance uses it: under 30 reads easily, 30-40 is
everyday text (newspapers, letters), over 50 is heavy. A word is a run of letters or digits (so "12.000",
"12,5" and "3" are one word each, "-" is none); a long word has more than six letters; a sentence ends at a full stop, a
question or exclamation mark or a colon followed by a space or the end of the text (so the dot of "12.000"
ends nothing), and a text without an end mark is one sentence.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:[-'’][^\W_]+)*")
SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)")
LONG_WORD_LETTERS = 6


def words(text: str) -> list[str]:
    """The words of a text: runs of letters or digits, joined by inner hyphens or apostrophes."""
    return WORD.findall(text)


def sentences(text: str) -> list[str]:
    """The sentences of a text that hold at least one word."""
    return [part for part in SENTENCE_END.split(text) if words(part)]


def is_long(word: str) -> bool:
    """A word of more than six letters (digits and hyphens do not count as letters)."""
    return sum(ch.isalpha() for ch in word) > LONG_WORD_LETTERS


def lix(text: str) -> float:
    """LIX = words / sentences + 100 * long words / words (0 for a text without words)."""
    found = words(text)
    if not found:
        return 0.0
    count = max(len(sentences(text)), 1)
    return len(found) / count + 100 * sum(is_long(w) for w in found) / len(found)
