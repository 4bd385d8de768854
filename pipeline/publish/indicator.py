"""What the pages say about one column: its label, kind, unit, colours and whether it counts people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """How one column is labelled, formatted, classed and protected on the pages."""

    label: str
    kind: str = "number"  # number | share | points | metres | ratio | count | flag | text
    person: bool = False
    palette: str = ""  # a colour scheme other than the one `better` implies (colour_scheme)
    unit: str = ""  # the unit legend titles name; empty: the kind's (KIND_UNITS)
    better: str = ""  # "higher", "lower", "neither" or a phrase: the direction of better in legend titles


def _share(label: str, *, person: bool = False, palette: str = "", better: str = "") -> Indicator:
    return Indicator(label, "share", person, palette, better=better)
