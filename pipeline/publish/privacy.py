"""The privacy rule (CONTRACT 7): person-based figures of small areas are shown as suppressed, never a number."""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config
from pipeline.publish.catalogue import indicator, person_based

NO_DATA = "no data"


def min_residents(config: Config) -> int:
    """Fewest residents an area or district needs before its person-based figures are shown."""
    return int(config["privacy"]["min_residents"])


def suppressed_label(config: Config) -> str:
    """The word shown instead of a suppressed figure."""
    return str(config["privacy"]["suppressed_label"])


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


def format_column(values: pd.Series, column: str) -> pd.Series:
    """The column as the text a planner reads: units, percent, thousands separators; nulls as 'no data'."""
    kind = indicator(column).kind
    numbers = pd.to_numeric(values, errors="coerce") if kind not in ("text", "flag") else None
    formats = {
        "share": lambda v: f"{v * 100:.1f} %",
        "points": lambda v: f"{v * 100:+.1f} points",
        "ratio": lambda v: f"{v:.2f}",
        "metres": lambda v: f"{v:,.0f} m",
        "count": lambda v: f"{v:,.0f}",
        "number": lambda v: f"{v:,.1f}",
    }
    if kind == "flag":
        text = values.map({True: "yes", False: "no"}, na_action="ignore")
    elif kind == "text":
        text = values.astype(object).where(values.notna(), None).map(str, na_action="ignore")
    else:
        text = numbers.map(formats[kind], na_action="ignore")
    return text.astype(object).where(text.notna(), NO_DATA)


def display_frame(frame: pd.DataFrame, columns: list[str], small: pd.Series, label: str) -> pd.DataFrame:
    """Formatted text of the columns, with person-based ones of small rows replaced by the label."""
    shown = pd.DataFrame(index=frame.index)
    protected = set(person_based(columns))
    for column in columns:
        text = format_column(frame[column], column)
        if column in protected:
            text = text.where(~small.to_numpy(), label)
        shown[column] = text
    return shown
