"""Segregation indices over spatial units (housing areas, school districts), vectorised with numpy.

Each function follows the standard definition (Massey and Denton 1988; Reardon and Firebaugh 2002) as
implemented in PySAL's `segregation` package, which the tests use as the independent reference. We keep
our own versions so the pipeline does not depend at run time on `segregation` and what it pulls in
(libpysal, its spatial weights and network stack): the formulas are a few lines of numpy each.

Units whose total is 0 are dropped before computing; an index that is undefined (no group members, or
everyone in the group) is NaN, written as null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pipeline.mix.sums import column_or_null


def _counts(group: ArrayLike, total: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Group and total counts as float arrays, units with total 0 dropped."""
    g = np.asarray(group, dtype=float)
    t = np.asarray(total, dtype=float)
    if g.shape != t.shape:
        raise ValueError(f"group and total differ in length ({g.shape} vs {t.shape})")
    if np.isnan(g).any() or np.isnan(t).any():
        raise ValueError("group and total must not contain nulls")
    if (g < 0).any() or (g > t).any():
        raise ValueError("each unit's group count must lie between 0 and its total")
    keep = t > 0
    return g[keep], t[keep]


def dissimilarity(group: ArrayLike, total: ArrayLike) -> float:
    """Dissimilarity D = 1/2 sum_i |g_i/G - r_i/R|, with r_i = t_i - g_i the rest of unit i.

    The share of the group (or of the rest) that would have to move for every unit to have the overall
    mix: 0 = even, 1 = complete separation. NaN when G or R is 0.
    """
    g, t = _counts(group, total)
    r = t - g
    big_g, big_r = g.sum(), r.sum()
    if big_g == 0 or big_r == 0:
        return float("nan")
    return float(0.5 * np.abs(g / big_g - r / big_r).sum())


def isolation(group: ArrayLike, total: ArrayLike) -> float:
    """Isolation xPx = sum_i (g_i/G)(g_i/t_i): the group share in the unit of an average group member.

    Compare with the overall group share G/T, which xPx equals when the group is spread evenly.
    NaN when G is 0.
    """
    g, t = _counts(group, total)
    big_g = g.sum()
    if big_g == 0:
        return float("nan")
    return float(((g / big_g) * (g / t)).sum())


def location_quotient(group: ArrayLike, total: ArrayLike) -> np.ndarray:
    """Location quotient LQ_i = (g_i/t_i)/(G/T) per unit (NaN where t_i = 0, or everywhere when G is 0).

    Unlike the indices this keeps every unit, in input order: 1 = the municipal share, 2 = twice it.
    """
    g = np.asarray(group, dtype=float)
    t = np.asarray(total, dtype=float)
    used = t > 0
    big_g, big_t = g[used].sum(), t[used].sum()
    lq = np.full(g.shape, np.nan)
    if big_g > 0:
        lq[used] = (g[used] / t[used]) / (big_g / big_t)
    return lq


def theil_h(counts: ArrayLike) -> float:
    """Multigroup Theil information index H = sum_i sum_k t_i p_ik ln(p_ik / P_k) / (T E).

    counts is units x classes (e.g. dwellings per tenure class); E = -sum_k P_k ln P_k is the
    municipality's entropy. 0 = every unit has the municipal mix, 1 = every unit holds one class only.
    Classes absent everywhere add nothing and are dropped; NaN when fewer than two classes are present.
    """
    x = np.asarray(counts, dtype=float)
    if x.ndim != 2:
        raise ValueError("counts must be a units x classes table")
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError("counts must be non-negative and not null")
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    if x.shape[1] < 2:
        return float("nan")
    total = x.sum()
    t = x.sum(axis=1)
    big_p = x.sum(axis=0) / total
    entropy = -(big_p * np.log(big_p)).sum()
    p = x / t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, t[:, None] * p * np.log(p / big_p), 0.0)
    return float(terms.sum() / (total * entropy))


# --- over the units of a frame (areas_mix, school_districts_mix) ---------------------------------


def _group_counts(frame: pd.DataFrame, spec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group and total counts per unit and the mask of units usable for the indices (total > 0, no nulls)."""
    g = pd.to_numeric(column_or_null(frame, spec["group"])).to_numpy(dtype="float64", na_value=np.nan)
    t = pd.to_numeric(column_or_null(frame, spec["total"])).to_numpy(dtype="float64", na_value=np.nan)
    usable = ~np.isnan(g) & ~np.isnan(t) & (t > 0) & (g >= 0) & (g <= t)
    return g, t, usable


def location_quotients(frame: pd.DataFrame, groups: dict) -> pd.DataFrame:
    """lq_<group> = (g_i/t_i)/(G/T) per area for each configured group; null where the area is unusable."""
    columns = {}
    for name, spec in groups.items():
        g, t, usable = _group_counts(frame, spec)
        lq = np.full(len(frame), np.nan)
        lq[usable] = location_quotient(g[usable], t[usable])
        columns[f"lq_{name}"] = lq
    return pd.DataFrame(columns, index=frame.index, dtype="float64")


def group_indices(frame: pd.DataFrame, spec: dict) -> dict:
    """D, xPx and the overall group share for one group over the usable units of frame."""
    g, t, usable = _group_counts(frame, spec)
    dropped = int((~usable).sum())
    result = {"group_column": spec["group"], "total_column": spec["total"], "units_used": int(usable.sum()),
              "units_dropped": dropped}
    if not usable.any():
        return {**result, "group_count": None, "total_count": None, "group_share": None, "D": None, "xPx": None}
    big_g, big_t = float(g[usable].sum()), float(t[usable].sum())
    return {
        **result,
        "group_count": round(big_g),
        "total_count": round(big_t),
        "group_share": big_g / big_t,
        "D": dissimilarity(g[usable], t[usable]),
        "xPx": isolation(g[usable], t[usable]),
    }
