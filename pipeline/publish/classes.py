"""The classes of a mapped indicator and their legend entries: bounds that never repeat, change layers
centred on "no change", colour-blind-safe schemes, and the grey entries of suppressed and missing values."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from pipeline.core.config import Config
from pipeline.publish.catalogue import (
    NO_CHANGE_COLOUR,
    NO_DATA_COLOUR,
    SUPPRESSED_COLOUR,
    colour_scheme,
    is_change,
)
from pipeline.publish.i18n import NO_DATA, current
from pipeline.publish.privacy import format_column, min_residents, page_suppressed_label


def palette(name: str, n: int) -> list[str]:
    """n colours of a ColorBrewer or viridis scheme (the ramp's ends when fewer than three)."""
    colours = list(_scheme(name, max(n, 3)))  # a copy: callers may recolour a class
    if n >= 3:
        return colours
    return [colours[len(colours) // 2]] if n == 1 else [colours[0], colours[-1]]


@cache
def _scheme(name: str, n: int) -> tuple[str, ...]:
    """branca's n colours of a scheme, worked out once (a viridis ramp is interpolated anew at every call)."""
    return tuple(color_brewer(name, n))


def classify(values: pd.Series, hidden: pd.Series, config: Config, column: str) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Colour per row and legend entries: classes of the shown values (around 0 for a change); suppressed and null greyed.

    The legend never repeats a bound: values that read the same on the page (same formatted text) always
    share a class, so there are fewer classes, or one per value, when the data has few distinct values.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    hidden = hidden.reindex(values.index).fillna(False).astype(bool)
    shown = numbers.notna() & ~hidden
    colours = pd.Series(NO_DATA_COLOUR, index=values.index, dtype=object)
    colours[hidden] = SUPPRESSED_COLOUR
    entries: list[tuple[str, str]] = []
    if shown.any() and is_change(column):
        ramp, classes, entries = _change_classes(numbers[shown].to_numpy(), config, column)
    elif shown.any():
        classes, labels = readable_classes(numbers[shown].to_numpy(), config, column, int(config["publish"]["classes"]))
        ramp = palette(colour_scheme(column), len(labels))
        entries = list(zip(ramp, labels, strict=True))
    if shown.any():
        colours[shown] = np.asarray(ramp, dtype=object)[classes]
    return colours, entries + _grey_entries(hidden, numbers.isna() & ~hidden, config)


def readable_classes(y: np.ndarray, config: Config, column: str, k: int) -> tuple[np.ndarray, list[str]]:
    """Each value's class and the classes' labels ("lo – hi" as the page writes the values), at most k classes.

    Each value is classed as the smallest value written like it (1,204.4 and 1,204.2 m both read "1,204 m"),
    so values that read the same never fall in two classes and no two classes show the same bound; with k or
    fewer texts, each is a class.
    """
    texts, group = _display_groups(y, column)
    if len(texts) <= k:
        return group, list(texts)
    representative = pd.Series(y).groupby(group).min().to_numpy()
    _, value_class = class_bins(representative[group], config["publish"]["classification_scheme"], k)
    # Fisher-Jenks can leave a class empty (equal bounds): renumber the classes in use, fewer of them
    _, value_class = np.unique(value_class, return_inverse=True)
    span = pd.Series(group).groupby(value_class).agg(["min", "max"])  # each class's first and last text
    labels = [texts[lo] if lo == hi else f"{texts[lo]} – {texts[hi]}" for lo, hi in zip(span["min"], span["max"], strict=True)]
    return value_class, labels


def _display_groups(y: np.ndarray, column: str) -> tuple[list[str], np.ndarray]:
    """The distinct texts of the values as the page formats them, in increasing order, and each value's text index."""
    distinct = np.unique(y)
    text = format_column(pd.Series(distinct), column).to_numpy()
    # formatting is monotonic, so equal texts are neighbours: a new group where the text changes
    starts = np.r_[True, text[1:] != text[:-1]]
    group_of_distinct = np.cumsum(starts) - 1
    return list(text[starts]), group_of_distinct[np.searchsorted(distinct, y)]


def _change_classes(y: np.ndarray, config: Config, column: str) -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """A change layer's classes on a diverging scheme centred on 0: falls, "no change" (values that read as 0), rises.

    Each side gets at most (classes - 1) / 2 classes; the scheme has one more colour than both sides, so the
    "no change" class always sits in its middle, whatever the data, and is always in the legend.
    """
    side = max(1, (int(config["publish"]["classes"]) - 1) // 2)
    ramp = palette(colour_scheme(column), 2 * side + 1)
    ramp[side] = NO_CHANGE_COLOUR
    texts = format_column(pd.Series(y, dtype=float), column).to_numpy(dtype=str)
    zero = np.array([re.sub(r"\D", "", t).strip("0") == "" for t in texts], dtype=bool) if len(y) else np.zeros(0, bool)
    classes = np.full(len(y), side)
    entries: list[tuple[str, str]] = []
    fall, rise = ~zero & (y < 0), ~zero & (y > 0)
    if fall.any():  # the largest fall in the class next to the scheme's end, the smallest next to the middle
        fall_class, labels = readable_classes(y[fall], config, column, side)
        classes[fall] = side - len(labels) + fall_class
        entries += [(ramp[side - len(labels) + i], label) for i, label in enumerate(labels)]
    lang = current()
    entries.append((NO_CHANGE_COLOUR, lang("no change")))
    if rise.any():
        rise_class, labels = readable_classes(y[rise], config, column, side)
        classes[rise] = side + 1 + rise_class
        entries += [(ramp[side + 1 + i], _plus(label)) for i, label in enumerate(labels)]
    return ramp, classes, entries


def _plus(label: str) -> str:
    """A rise's label with its sign: "+800 – +1,200" (points are formatted with their sign already)."""
    return " – ".join(t if t.startswith("+") else f"+{t}" for t in label.split(" – "))


def class_bins(y: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds of the k classes of a mapclassify scheme, and each value's class.

    Fisher-Jenks (the default) is computed here, exactly as mapclassify computes it: importing mapclassify
    costs seconds in every publish run (with numba installed it compiles its Fisher-Jenks kernel at import),
    more than the rest of the page data. Other schemes import mapclassify when asked for.
    """
    if scheme.lower().replace("_", "") == "fisherjenks":
        bins = fisher_jenks_bins(y, k)
        # mapclassify's bin1d: class i holds bins[i-1] < y <= bins[i]
        return bins, np.searchsorted(bins, y, side="left")
    import mapclassify

    classifier = mapclassify.classify(y, scheme, k=k)
    return np.asarray(classifier.bins), np.asarray(classifier.yb)


def fisher_jenks_bins(y: np.ndarray, k: int) -> np.ndarray:
    """Fisher-Jenks optimal breaks (upper bounds of k classes): mapclassify's `_fisher_jenks_means`,
    with its float32 sums and its ties (the later split wins), vectorised over the splits of each prefix."""
    values = np.sort(np.asarray(y, dtype=float))
    n = len(values)
    split = np.zeros((n + 1, k + 1), dtype=np.int64)  # mapclassify's mat1: first value of the last class
    cost = np.zeros((n + 1, k + 1), dtype=np.float32)  # mat2: within-class variance sum of the best split
    split[1, 1:] = 1
    cost[2:, 1:] = np.inf
    single = values.astype(np.float32)
    for end in range(2, n + 1):
        tail = single[end - 1::-1]  # the last m values of the prefix, m = 1..end
        s1 = np.cumsum(tail, dtype=np.float32)
        s2 = np.cumsum(tail * tail, dtype=np.float32)
        variance = s2 - (s1 * s1) / np.arange(1, end + 1, dtype=np.float32)
        first = end + 1 - np.arange(1, end)  # first value (1-based) of the last class, m = 1..end-1
        candidate = variance[:-1, None] + cost[first - 1, 1:k]
        last_best = len(first) - 1 - np.argmin(candidate[::-1], axis=0)
        cost[end, 2:] = candidate[last_best, np.arange(k - 1)]
        split[end, 2:] = first[last_best]
        split[end, 1], cost[end, 1] = 1, variance[-1]
    bins = np.zeros(k + 1, dtype=float)
    bins[k], bins[0] = values[-1], values[0]
    row = n
    for count in range(k, 1, -1):
        pivot = split[row, count]
        bins[count - 1] = values[int(pivot - 2)]
        row = int(pivot - 1)
    return bins[1:]


def suppressed_entry(config: Config) -> tuple[str, str]:
    """The legend entry of suppressed figures: an area too small, or of unknown size, to show them."""
    lang = current()
    return SUPPRESSED_COLOUR, lang("{label} (fewer than {count} residents, or residents unknown)",
                                   label=page_suppressed_label(config, lang), count=lang.number(min_residents(config)))


def _grey_entries(hidden: pd.Series, missing: pd.Series, config: Config) -> list[tuple[str, str]]:
    """Legend entries for suppressed and missing values, when any row has them."""
    entries = []
    if hidden.any():
        entries.append(suppressed_entry(config))
    if missing.any():
        entries.append((NO_DATA_COLOUR, current()(NO_DATA)))
    return entries
