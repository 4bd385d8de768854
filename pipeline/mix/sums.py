"""Sums and shares per housing area (CONTRACT 4): counts over the parcels, tenure shares and diversity.

The arithmetic the stage mix needs before any rule of the law applies: sums over parts that stay null
when a part is unknown (unless mix.blank_as_zero names the column), shares that are null when the
denominator is 0 or unknown. The section 61 a / 61 b rules are in pipeline/mix/rules.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.sources.statistics import INCOME_SUM, count_columns

OTHER_TENURE = "other"


def column_or_null(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of frame, or all null when it is absent."""
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def tenure_classes(parcels: pd.DataFrame, mix_config: dict) -> list[str]:
    """The tenure classes: mix_config["tenures"] (run passes ingest.tenures), else the parcels' dwellings_* but other."""
    configured = mix_config.get("tenures")
    if configured:
        return list(configured)
    return [c.removeprefix("dwellings_") for c in parcels.columns if c.startswith("dwellings_") and c != "dwellings_other"]


def group_sums(
    parcels: pd.DataFrame, key: str, ids: pd.Index, columns: list[str], blank_as_zero: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Sum columns over the parcels of each id; null when a column is absent or null for any of its parcels
    (a blank counts as 0 only for the columns in blank_as_zero), and null for ids with no parcel.

    parcels whose key is null are left out; `parcels` counts each id's parcels (0 for none).
    """
    present = [c for c in columns if c in parcels.columns]
    keys = parcels[key]
    values = parcels[present].apply(pd.to_numeric).astype("float64")
    for column in (c for c in present if c in blank_as_zero):
        values[column] = values[column].fillna(0.0)
    sums = values.groupby(keys).sum().reindex(ids)
    has_null = values.isna().groupby(keys).any().reindex(ids, fill_value=False)
    sums = sums.mask(has_null)
    sums["parcels"] = keys.groupby(keys).size().reindex(ids, fill_value=0).astype("int64")
    for column in columns:
        if column not in sums.columns:
            sums[column] = np.nan
    return sums


def as_counts(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Whole-number sums as nullable integers."""
    return frame.assign(**{c: frame[c].round().astype("Int64") for c in columns})


def share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as float, null where the denominator is 0 or either is null."""
    num = pd.to_numeric(numerator).astype("float64")
    den = pd.to_numeric(denominator).astype("float64")
    return (num / den.where(den != 0)).astype("float64")


def tenure_diversity(frame: pd.DataFrame, tenures: list[str]) -> pd.Series:
    """Normalised Shannon entropy -sum(p_k ln p_k) / ln K over the K tenure classes (0 one tenure, 1 even)."""
    counts = frame[[f"dwellings_{t}" for t in tenures]].astype("float64").to_numpy()
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = counts / np.where(total > 0, total, np.nan)
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    value = terms.sum(axis=1) / np.log(len(tenures)) if len(tenures) > 1 else np.full(len(frame), np.nan)
    value = np.where(np.isnan(counts).any(axis=1) | (total[:, 0] == 0), np.nan, value)
    return pd.Series(value, index=frame.index, dtype="float64")


def tenure_shares(frame: pd.DataFrame, tenures: list[str]) -> pd.DataFrame:
    """share_<tenure> = dwellings_<tenure> / dwellings for each tenure and other; share_social both social."""
    shares = {f"share_{t}": share(frame[f"dwellings_{t}"], frame["dwellings"]) for t in [*tenures, OTHER_TENURE]}
    social = frame.get("dwellings_social_family", 0) + frame.get("dwellings_social_other", 0)
    shares["share_social"] = share(social, frame["dwellings"])
    return pd.DataFrame(shares, index=frame.index)


def all_dwellings(frame: pd.DataFrame, tenures: list[str]) -> pd.Series:
    """All dwellings: the sum of the dwellings_* columns, null when any of them is unknown."""
    columns = [f"dwellings_{t}" for t in [*tenures, OTHER_TENURE]]
    values = frame[columns].astype("Float64")
    return values.sum(axis=1).where(values.notna().all(axis=1)).round().astype("Int64")


def area_sums(parcels: pd.DataFrame, areas: pd.DataFrame, tenures: list[str], blank_as_zero: tuple = ()) -> pd.DataFrame:
    """The areas' identity columns and the sums of their parcels' counts (null for an area with no parcel)."""
    ids = pd.Index(areas["area_id"].astype("str"), name="area_id")
    keyed = parcels.assign(area_id=parcels["area_id"].astype("str"))
    # the contract's default for this optional tenure (docs/architecture.md), where tenures are given at all:
    # with no tenure supplied, dwellings_other is unknown like the others, never 0
    if "dwellings_other" not in keyed.columns and any(f"dwellings_{t}" in keyed.columns for t in tenures):
        keyed["dwellings_other"] = 0
    sums = group_sums(keyed, "area_id", ids, count_columns(tenures), blank_as_zero)
    sums = as_counts(sums, [c for c in count_columns(tenures) if c != INCOME_SUM]).reset_index(drop=True)
    area_type = column_or_null(areas, "area_type")
    identity = pd.DataFrame({
        "area_id": ids.to_numpy(),
        "name": areas["name"].astype("str").to_numpy(),
        "area_type": area_type.astype("object").where(area_type.notna(), None).to_numpy(),
        "years_listed": pd.to_numeric(column_or_null(areas, "years_listed")).astype("float64").round().astype("Int64").array,
    })
    return pd.concat([identity, sums], axis=1)
