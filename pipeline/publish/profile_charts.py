"""The small charts of the profile pages, as geometry for inline SVG (no script: they print as drawn).

Each function returns plain numbers and texts that the template `profile.html` draws: a bar of a
criterion's value against its threshold, a stacked bar of the tenure mix, and a criterion's values over
the years with the threshold line of each year's rules. Nothing here computes a figure: the values and
thresholds are the mix stage's; only their place on the drawing is worked out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BAR_WIDTH, BAR_HEIGHT, BAR_LEFT, BAR_RIGHT = 360, 46, 6, 6
LINE_WIDTH, LINE_HEIGHT, LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 380, 170, 54, 14, 14, 26
# Okabe & Ito's colour-blind-safe set (social housing warm, owner and rental blue, cooperative green, other grey):
# distinct for deuteranopes (tests/test_publish_classes.py, docs/web-accessibility.md).
TENURE_COLOURS = ("#D55E00", "#E69F00", "#0072B2", "#56B4E9", "#009E73", "#bdbdbd")


@dataclass(frozen=True)
class ThresholdBar:
    """A horizontal bar from 0 to the value, a vertical line at the threshold, both on one scale."""

    width: int
    height: int
    value_x: float  # end of the bar (px)
    threshold_x: float | None  # the threshold line (px), None when the threshold is unknown
    met: bool | None
    label: str  # the value as text, e.g. "45,0 %"
    threshold_label: str  # e.g. "grænse: over 40 %"
    axis_max_label: str


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least value (a round end for an axis)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value - 1e-12))


def threshold_bar(value: float, threshold: float | None, met: bool | None, *, label: str, threshold_label: str,
                  axis_label: Callable[[float], str], axis_max: float | None = None) -> ThresholdBar:
    """The value's bar and the threshold's line on an axis from 0 to axis_max (the criterion's one scale, the same
    for every area, so bars compare across profiles; a value beyond it fills the bar), else to a round number
    above both."""
    top = float(axis_max) if axis_max else nice_ceiling(max(value, threshold or 0.0) * 1.1)
    span = BAR_WIDTH - BAR_LEFT - BAR_RIGHT
    scale = span / top
    return ThresholdBar(
        BAR_WIDTH, BAR_HEIGHT, BAR_LEFT + min(max(value, 0.0), top) * scale,
        None if threshold is None else BAR_LEFT + min(threshold, top) * scale, met, label, threshold_label,
        axis_label(top))


@dataclass(frozen=True)
class TenureSlice:
    """One tenure's part of the stacked bar."""

    x: float
    width: float
    colour: str
    label: str  # tenure name and share, for the legend and the slice's title


def tenure_bar(shares: Sequence[float | None], labels: Sequence[str], width: int = BAR_WIDTH) -> list[TenureSlice]:
    """Slices of a 100 % bar, one per tenure with a known share, in the given order."""
    slices, x = [], 0.0
    for i, (share, label) in enumerate(zip(shares, labels, strict=True)):
        if share is None or not share > 0:
            continue
        slices.append(TenureSlice(x, share * width, TENURE_COLOURS[i % len(TENURE_COLOURS)], label))
        x += share * width
    return slices


@dataclass(frozen=True)
class HistoryChart:
    """A criterion over the years: the values' line and points, the thresholds' step line, the axes' labels."""

    width: int
    height: int
    value_path: str  # SVG path; a year without a value breaks the line
    points: list[tuple[float, float, str]]  # x, y, title ("2022: 45,0 %")
    threshold_path: str
    ticks_x: list[tuple[float, str]]  # year positions and labels
    ticks_y: list[tuple[float, str]]  # 0, half and top of the axis
    left: int
    right: int
    top: int
    bottom: int


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points, lifted at each None (an unknown year is a gap, not a zero)."""
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return " ".join(parts)


def history_chart(years: Sequence[int], values: Sequence[float | None], thresholds: Sequence[float | None], *,
                  value_text: Callable[[float], str], year_text: Callable[[int], str]) -> HistoryChart:
    """Values by year as a line with points, and the threshold of each year's rules as a dashed step line."""
    known = [v for v in (*values, *thresholds) if v is not None]
    top = nice_ceiling(max(known) * 1.1) if known else 1.0
    inner_w = LINE_WIDTH - LINE_LEFT - LINE_RIGHT
    inner_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    step = inner_w / max(len(years) - 1, 1)

    def x(i: int) -> float:
        return LINE_LEFT + (i * step if len(years) > 1 else inner_w / 2)

    def y(v: float) -> float:
        return LINE_TOP + inner_h * (1 - max(v, 0.0) / top)

    value_points = [None if v is None else (x(i), y(v)) for i, v in enumerate(values)]
    threshold_points: list[tuple[float, float] | None] = []
    for i, t in enumerate(thresholds):  # a step line: each year's threshold held for half a step either side
        if t is None:
            threshold_points.append(None)
            continue
        half = step / 2 if len(years) > 1 else inner_w / 2
        threshold_points += [(max(x(i) - half, LINE_LEFT), y(t)), (min(x(i) + half, LINE_LEFT + inner_w), y(t))]
    points = [(p[0], p[1], f"{year_text(years[i])}: {value_text(values[i])}")
              for i, p in enumerate(value_points) if p is not None]
    return HistoryChart(
        LINE_WIDTH, LINE_HEIGHT, _path(value_points), points, _path(threshold_points),
        [(x(i), year_text(year)) for i, year in enumerate(years)],
        [(y(v), value_text(v)) for v in (0.0, top / 2, top)],
        LINE_LEFT, LINE_LEFT + inner_w, LINE_TOP, LINE_TOP + inner_h)
