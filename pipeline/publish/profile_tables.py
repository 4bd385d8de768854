"""Profile tables that read on a phone and on paper: header rows marked as such, every cell labelled.

The profile templates write plain tables (a first row of column headings, then the rows). `stacked_tables`
rewrites each table of a rendered page once: the heading row goes into <thead> (repeated on every printed sheet
a table runs over, profile.css), the rest into <tbody>, and every body cell carries its column's heading as
`data-label`, which profile.css shows beside the value when a narrow screen stacks each row into a block of
"label: value" lines instead of squeezing the columns until words break letter by letter.
"""

from __future__ import annotations

import html
import re

TABLE = re.compile(r"(<table\b[^>]*>)(.*?)(</table>)", re.S)
ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
CELL = re.compile(r"<(t[hd])\b([^>]*)>(.*?)</t[hd]>", re.S)
TAG = re.compile(r"<[^>]+>")
SECTION = re.compile(r"</?(?:thead|tbody)\b[^>]*>")
STACK_CLASS = "pf-stack"


def _text(cell_html: str) -> str:
    """A cell's visible text, whitespace collapsed (its tags dropped, its entities read)."""
    return " ".join(html.unescape(TAG.sub(" ", cell_html)).split())


def _labelled(row: str, labels: list[str]) -> str:
    """The row with each cell's column heading as its data-label (a cell beyond the headings keeps none)."""
    index = 0

    def label(match: re.Match) -> str:
        nonlocal index
        tag, attributes, inner = match.groups()
        text = labels[index] if index < len(labels) else ""
        index += 1
        if not text or "data-label=" in attributes:
            return match.group(0)
        return f'<{tag}{attributes} data-label="{html.escape(text, quote=True)}">{inner}</{tag}>'

    return CELL.sub(label, row)


def _stacked(match: re.Match) -> str:
    """One table with its heading row in <thead>, the other rows in <tbody>, their cells labelled."""
    opening, body, closing = match.groups()
    rows = ROW.findall(SECTION.sub("", body))
    if not rows or any(m.group(1) != "th" for m in CELL.finditer(rows[0])):
        return match.group(0)  # no heading row: left as it is
    labels = [_text(m.group(3)) for m in CELL.finditer(rows[0])]
    if 'class="' in opening:
        opening = opening.replace('class="', f'class="{STACK_CLASS} ', 1)
    else:
        opening = opening[:-1] + f' class="{STACK_CLASS}">'
    head = "<thead>" + rows[0] + "</thead>"
    rest = "".join(_labelled(r, labels) for r in rows[1:])
    return f"{opening}\n{head}\n<tbody>{rest}</tbody>\n{closing}"


def stacked_tables(page: str) -> str:
    """The page with every table given a <thead> of its first row and its cells labelled (see the module)."""
    return TABLE.sub(_stacked, page)
