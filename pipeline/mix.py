"""Stage mix: tenure mix, indicative official status, family housing gap and segregation (CONTRACT 4).

Reads the ingested housing areas, parcels, school districts and schools; writes
data/processed/areas_mix.parquet (one row per housing area), data/processed/segregation.json and
data/processed/school_districts.parquet (the districts with their pupils and mix added). Every column
and key is explained for planners in docs/indicators.md.

A share whose denominator is 0 is null, never 0; an optional parcel column absent from the data gives
null indicators. The status is indicative: the official list uses two-year averages of register data.
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline._log import log
from pipeline.assign import assign_parcels, report_unassigned
from pipeline.config import Config
from pipeline.io import has_layer, read_layer, write_geoparquet, write_json
from pipeline.segregation import dissimilarity, isolation, location_quotient, theil_h

__all__ = [
    "area_status", "areas_mix", "criteria_flags", "dissimilarity", "district_mix", "family_housing_gap", "run",
    "segregation_summary",
]

STATUS_NOTE = "indicative, computed from supplied data"
STATUS_NONE = "none"
UDSAT_OR_WORSE = ("udsat", "parallelsamfund", "omdannelse")
OTHER_TENURE = "other"
PERSON_COUNTS = (
    "residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59", "residents_18plus",
    "convicted_18plus", "taxpayers_15_64", "non_western", "children_6_16",
)
INCOME_SUM = "gross_income_sum_15_64"
# (criterion, indicator column, comparison, key of the official threshold, key of the prevention threshold)
CRITERIA = (
    ("c1", "share_outside_work_edu", "gt", "c1_outside_work_edu_gt", "forebyggelse_c1_gt"),
    ("c2", "crime_ratio", "ge", "c2_crime_ratio_ge", "forebyggelse_c2_ge"),
    ("c3", "share_basic_edu", "gt", "c3_basic_edu_gt", "forebyggelse_c3_gt"),
    ("c4", "income_ratio", "lt", "c4_income_ratio_lt", "forebyggelse_c4_lt"),
)
GAP_COLUMNS = ("gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings")
DISTRICT_FIGURES = (
    "parcels", "residents", "pupils", "pupils_udsat_or_worse", "share_pupils_udsat_or_worse", "school_name",
    "capacity", "school_pupils", "utilisation",
)


# --- sums per area -------------------------------------------------------------------------------


def tenure_classes(parcels: pd.DataFrame, mix_config: dict) -> list[str]:
    """The tenure classes: mix_config["tenures"] (run passes ingest.tenures), else the parcels' dwellings_* but other."""
    configured = mix_config.get("tenures")
    if configured:
        return list(configured)
    return [c.removeprefix("dwellings_") for c in parcels.columns if c.startswith("dwellings_") and c != "dwellings_other"]


def group_sums(parcels: pd.DataFrame, key: str, ids: pd.Index, columns: list[str]) -> pd.DataFrame:
    """Sum columns over the parcels of each id; null when a column is absent or null for any of its parcels.

    Ids with no parcel get 0 for present columns; parcels whose key is null are left out.
    """
    present = [c for c in columns if c in parcels.columns]
    keys = parcels[key]
    values = parcels[present].astype("float64")
    sums = values.groupby(keys).sum().reindex(ids, fill_value=0.0)
    has_null = values.isna().groupby(keys).any().reindex(ids, fill_value=False)
    sums = sums.mask(has_null)
    sums["parcels"] = keys.groupby(keys).size().reindex(ids, fill_value=0).astype("int64")
    for column in columns:
        if column not in sums.columns:
            sums[column] = np.nan
    return sums


def _as_counts(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Whole-number sums as nullable integers."""
    return frame.assign(**{c: frame[c].round().astype("Int64") for c in columns})


# --- indicators ----------------------------------------------------------------------------------


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


def criteria_indicators(frame: pd.DataFrame, mix_config: dict) -> pd.DataFrame:
    """The section 61a indicators from an area's sums: the four criteria values and the non-Western share."""
    conviction_rate = share(frame["convicted_18plus"], frame["residents_18plus"])
    mean_income = share(frame[INCOME_SUM], frame["taxpayers_15_64"])
    return pd.DataFrame(
        {
            "share_outside_work_edu": share(frame["outside_work_edu_18_64"], frame["residents_18_64"]),
            "conviction_rate_18plus": conviction_rate,
            "crime_ratio": conviction_rate / float(mix_config["national_conviction_rate"]),
            "share_basic_edu": share(frame["basic_edu_only_30_59"], frame["residents_30_59"]),
            "mean_income_15_64_dkk": mean_income,
            "income_ratio": mean_income / float(mix_config["regional_mean_income"]),
            "share_non_western": share(frame["non_western"], frame["residents"]),
        },
        index=frame.index,
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of frame, or all null when it is absent."""
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def _holds(values: pd.Series, comparison: str, threshold: float, decimals: int) -> pd.Series:
    """Whether each value passes the threshold test; a null value does not.

    Values are rounded to `decimals` first, so a ratio of counts that equals a threshold in exact
    arithmetic (279 / 10000 / 0.0093 = 3) is not pushed across it by floating-point error.
    """
    v = np.round(pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan), decimals)
    tests = {"gt": v > threshold, "ge": v >= threshold, "lt": v < threshold}
    return pd.Series(tests[comparison], index=values.index, dtype=bool)


def criteria_flags(frame: pd.DataFrame, mix_config: dict, *, prevention: bool = False) -> pd.DataFrame:
    """c1_met..c4_met for the official thresholds (or the prevention ones); a null indicator is not met."""
    decimals = int(mix_config["compare_decimals"])
    flags = {}
    for name, column, comparison, official_key, prevention_key in CRITERIA:
        threshold = float(mix_config[prevention_key if prevention else official_key])
        flags[f"{name}_met"] = _holds(_column(frame, column), comparison, threshold, decimals)
    return pd.DataFrame(flags, index=frame.index)


def _names_where(flags: pd.DataFrame) -> pd.Series:
    """Text like "c1, c3" naming the true columns of each row ("" when none)."""
    labels = np.array([f"{c.removesuffix('_met')}, " for c in flags.columns], dtype=object)
    text = np.where(flags.to_numpy(dtype=bool), labels, "").astype(object).sum(axis=1)
    return pd.Series(text, index=flags.index, dtype="str").str.removesuffix(", ")


def criteria_columns(frame: pd.DataFrame, mix_config: dict) -> pd.DataFrame:
    """Which criteria each area meets, and which could not be computed, official and prevention."""
    official = criteria_flags(frame, mix_config)
    prevention = criteria_flags(frame, mix_config, prevention=True)
    unknown = pd.DataFrame(
        {f"{name}_met": frame[column].isna() for name, column, *_ in CRITERIA}, index=frame.index
    )
    return official.assign(
        criteria_met=official.sum(axis=1).astype("int64"),
        criteria=_names_where(official),
        criteria_unknown=_names_where(unknown),
        prevention_criteria_met=prevention.sum(axis=1).astype("int64"),
        prevention_criteria=_names_where(prevention),
    )


def is_social(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """Social housing area: social family + social other share >= min_social_share, or area_type social."""
    family = pd.to_numeric(_column(frame, "share_social_family")).astype("float64")
    social_share = family.add(pd.to_numeric(_column(frame, "share_social_other")).astype("float64"), fill_value=0)
    by_share = _holds(social_share, "ge", float(mix_config["min_social_share"]), int(mix_config["compare_decimals"]))
    by_type = _column(frame, "area_type").astype("str").str.strip().str.lower().eq("social").fillna(False)
    return (by_share | by_type.astype(bool)).astype(bool)


def is_eligible(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """Eligible for a status: a social housing area (see is_social) with at least min_residents residents."""
    residents = pd.to_numeric(_column(frame, "residents")).astype("float64")
    enough = residents.ge(float(mix_config["min_residents"])).fillna(False)
    return (is_social(frame, mix_config) & enough).astype(bool)


def area_status(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """The indicative status per area: none, forebyggelse, udsat, parallelsamfund or omdannelse.

    Computed from the indicator columns (share_outside_work_edu, crime_ratio, share_basic_edu,
    income_ratio, share_non_western), residents, share_social_family + share_social_other (or
    area_type) and years_listed; missing columns count as null, and a null criterion is not met.
    """
    decimals = int(mix_config["compare_decimals"])
    eligible = is_eligible(frame, mix_config)
    non_western = _column(frame, "share_non_western")
    met = criteria_flags(frame, mix_config).sum(axis=1)
    prevention_met = criteria_flags(frame, mix_config, prevention=True).sum(axis=1)
    years_listed = pd.to_numeric(_column(frame, "years_listed")).astype("float64").fillna(0.0)

    udsat = eligible & met.ge(int(mix_config["udsat_min_criteria"]))
    parallel = udsat & _holds(non_western, "gt", float(mix_config["parallelsamfund_non_western_gt"]), decimals)
    omdannelse = parallel & (years_listed + 1).ge(int(mix_config["omdannelse_years"]))
    forebyggelse = (
        eligible
        & ~udsat
        & _holds(non_western, "gt", float(mix_config["forebyggelse_non_western_gt"]), decimals)
        & prevention_met.ge(int(mix_config["forebyggelse_min_criteria"]))
    )
    status = np.select(
        [omdannelse, parallel, udsat, forebyggelse],
        ["omdannelse", "parallelsamfund", "udsat", "forebyggelse"],
        default=STATUS_NONE,
    )
    return pd.Series(status, index=frame.index, dtype="str", name="status")


# --- family housing gap --------------------------------------------------------------------------


def _whole_numbers(values: pd.Series, name: str) -> pd.Series:
    """Values as nullable int64, refusing fractions (the gap is computed exactly in integers)."""
    numbers = pd.to_numeric(values).astype("float64")
    if (numbers.dropna() % 1 != 0).any():
        raise ValueError(f"{name} must hold whole numbers of dwellings")
    return numbers.round().astype("Int64")


def _ceil_div(numerator: pd.Series, denominator: int) -> pd.Series:
    """Exact ceil(numerator / denominator) for integers and a positive integer denominator."""
    return -((-numerator) // denominator)


def family_housing_gap(social_family: pd.Series, dwellings: pd.Series, cap: float) -> pd.DataFrame:
    """Dwellings to add, convert or demolish to bring social family dwellings S to at most cap of all D.

    With cap = n/d as an exact fraction and excess = S d - D n (= d (S - cap D)):
    gap_add_dwellings = ceil(S / cap - D) = ceil(excess / n);
    gap_convert_dwellings = ceil(S - cap D) = ceil(excess / d);
    gap_demolish_dwellings = ceil((S - cap D) / (1 - cap)) = ceil(excess / (d - n)).
    0 where S <= cap D; null where D is 0 or either count is null. Integers throughout, no floats.
    """
    fraction = Fraction(str(cap))
    if not 0 < fraction < 1:
        raise ValueError(f"the family housing cap must lie strictly between 0 and 1, not {cap}")
    n, d = fraction.numerator, fraction.denominator
    if len(social_family) != len(dwellings):
        raise ValueError("social_family and dwellings must have one value per area each")
    s = _whole_numbers(social_family, "social_family")
    t = _whole_numbers(dwellings, "dwellings").set_axis(s.index)
    excess = (s * d - t * n).clip(lower=0)
    gaps = {
        "gap_add_dwellings": _ceil_div(excess, n),
        "gap_convert_dwellings": _ceil_div(excess, d),
        "gap_demolish_dwellings": _ceil_div(excess, d - n),
    }
    undefined = t.isna() | s.isna() | t.eq(0).fillna(False)
    return pd.DataFrame({k: v.mask(undefined).astype("Int64") for k, v in gaps.items()}, index=social_family.index)


# --- segregation ---------------------------------------------------------------------------------


def _group_counts(frame: pd.DataFrame, spec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group and total counts per unit and the mask of units usable for the indices (total > 0, no nulls)."""
    g = pd.to_numeric(_column(frame, spec["group"])).to_numpy(dtype="float64", na_value=np.nan)
    t = pd.to_numeric(_column(frame, spec["total"])).to_numpy(dtype="float64", na_value=np.nan)
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


def reference_values(mix_config: dict) -> dict:
    """The national and regional figures the criteria c2 and c4 compare with, and the year of each."""
    return {
        "national_conviction_rate": mix_config["national_conviction_rate"],
        "national_conviction_rate_year": mix_config["national_conviction_rate_year"],
        "regional_mean_income": mix_config["regional_mean_income"],
        "regional_mean_income_year": mix_config["regional_mean_income_year"],
    }


def segregation_summary(areas: pd.DataFrame, mix_config: dict) -> dict:
    """segregation.json: per configured group D, xPx and shares over housing areas; Theil H over tenures."""
    tenures = tenure_classes(areas, mix_config)
    groups = {name: group_indices(areas, spec) for name, spec in mix_config["segregation_groups"].items()}
    for name, result in groups.items():
        if result["units_dropped"]:
            log.info("Segregation of %s left out %d areas with no %s or a null count",
                     name, result["units_dropped"], result["total_column"])
    counts = areas[[f"dwellings_{t}" for t in tenures]].astype("float64")
    counts = counts[counts.notna().all(axis=1)]
    return {
        "label": STATUS_NOTE,
        "units": "housing areas",
        "groups": groups,
        "tenure_theil_h": {
            "H": theil_h(counts.to_numpy()) if len(counts) else None,
            "classes": tenures,
            "units_used": int((counts.sum(axis=1) > 0).sum()),
        },
    }


# --- the area table ------------------------------------------------------------------------------


def _tenure_shares(frame: pd.DataFrame, tenures: list[str]) -> pd.DataFrame:
    """share_<tenure> = dwellings_<tenure> / dwellings for each tenure and other; share_social both social."""
    shares = {f"share_{t}": share(frame[f"dwellings_{t}"], frame["dwellings"]) for t in [*tenures, OTHER_TENURE]}
    social = frame.get("dwellings_social_family", 0) + frame.get("dwellings_social_other", 0)
    shares["share_social"] = share(social, frame["dwellings"])
    return pd.DataFrame(shares, index=frame.index)


def area_columns(tenures: list[str], groups: dict) -> list[str]:
    """The columns of areas_mix.parquet in order (geometry last); docs/indicators.md explains each."""
    kinds = [*tenures, OTHER_TENURE]
    return [
        "area_id", "name", "area_type", "years_listed", "parcels", "residents", "dwellings",
        *[f"dwellings_{t}" for t in kinds], *PERSON_COUNTS, INCOME_SUM,
        *[f"share_{t}" for t in kinds], "share_social", "tenure_diversity",
        "share_outside_work_edu", "conviction_rate_18plus", "crime_ratio", "share_basic_edu",
        "mean_income_15_64_dkk", "income_ratio", "share_non_western",
        "c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "criteria", "criteria_unknown",
        "prevention_criteria_met", "prevention_criteria", "is_social", "eligible", "status", "status_note",
        *GAP_COLUMNS, *[f"lq_{name}" for name in groups],
    ]


def area_sums(parcels: pd.DataFrame, areas: pd.DataFrame, tenures: list[str]) -> pd.DataFrame:
    """The areas' identity columns and the sums of their parcels' counts, dwellings = all dwellings_*."""
    dwelling_columns = [f"dwellings_{t}" for t in [*tenures, OTHER_TENURE]]
    if "dwellings_other" not in parcels.columns:
        parcels = parcels.assign(dwellings_other=0)
    ids = pd.Index(areas["area_id"].astype("str"), name="area_id")
    counts = ["residents", *dwelling_columns, *PERSON_COUNTS]
    keyed = parcels.assign(area_id=parcels["area_id"].astype("str"))
    sums = group_sums(keyed, "area_id", ids, [*counts, INCOME_SUM])
    sums["dwellings"] = sums[dwelling_columns].sum(axis=1).where(sums[dwelling_columns].notna().all(axis=1))
    sums = _as_counts(sums, [*counts, "dwellings"]).reset_index(drop=True)
    identity = pd.DataFrame({
        "area_id": ids.to_numpy(),
        "name": areas["name"].astype("str").to_numpy(),
        "area_type": _column(areas, "area_type").astype("object").astype("str").to_numpy(),
        "years_listed": pd.to_numeric(_column(areas, "years_listed")).astype("float64").round().astype("Int64").array,
    })
    return pd.concat([identity, sums], axis=1)


def areas_mix(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, mix_config: dict) -> gpd.GeoDataFrame:
    """One row per housing area with its sums, shares, diversity, criteria, status, gaps and lq_* columns.

    parcels must already carry area_id (see pipeline.assign.assign_parcels). Rows follow areas' order.
    """
    tenures = tenure_classes(parcels, mix_config)
    groups = mix_config["segregation_groups"]
    frame = area_sums(parcels, areas, tenures)
    frame = pd.concat([frame, _tenure_shares(frame, tenures)], axis=1)
    frame["tenure_diversity"] = tenure_diversity(frame, tenures)
    frame = pd.concat([frame, criteria_indicators(frame, mix_config)], axis=1)
    frame = pd.concat([frame, criteria_columns(frame, mix_config)], axis=1)
    frame["is_social"] = is_social(frame, mix_config)
    frame["eligible"] = is_eligible(frame, mix_config)
    frame["status"] = area_status(frame, mix_config)
    frame["status_note"] = STATUS_NOTE
    gaps = family_housing_gap(frame["dwellings_social_family"], frame["dwellings"], mix_config["family_housing_cap"])
    frame = pd.concat([frame, gaps.where(frame["status"].eq("omdannelse"), axis=0)], axis=1)
    frame = pd.concat([frame, location_quotients(frame, groups)], axis=1)
    frame = frame[area_columns(tenures, groups)]
    return gpd.GeoDataFrame(frame, geometry=areas.geometry.to_numpy(), crs=areas.crs)


# --- school districts ----------------------------------------------------------------------------


def district_mix(
    parcels: pd.DataFrame, areas: pd.DataFrame, districts: gpd.GeoDataFrame, schools: pd.DataFrame | None
) -> gpd.GeoDataFrame:
    """The districts with parcels, residents, pupils, pupils in udsat-or-worse areas and capacity use.

    parcels must carry area_id and district_id; areas the status per area_id. Figure columns already in
    districts (from an earlier run) are replaced, so the result is the same however often it is made.
    """
    out = districts.drop(columns=[c for c in DISTRICT_FIGURES if c in districts.columns])
    status = parcels["area_id"].map(areas.set_index("area_id")["status"])
    children = pd.to_numeric(_column(parcels, "children_6_16")).astype("float64")
    counted = parcels.assign(pupils=children, pupils_udsat_or_worse=children.where(status.isin(UDSAT_OR_WORSE), 0.0))
    ids = pd.Index(out["district_id"].astype("str"), name="district_id")
    counts = ["residents", "pupils", "pupils_udsat_or_worse"]
    sums = _as_counts(group_sums(counted, "district_id", ids, counts), counts)
    sums["share_pupils_udsat_or_worse"] = share(sums["pupils_udsat_or_worse"], sums["pupils"])
    figures = sums[["parcels", *counts, "share_pupils_udsat_or_worse"]].set_axis(out.index)
    out = pd.concat([out, figures], axis=1)
    return pd.concat([out, _school_figures(out, schools)], axis=1)


def _school_figures(districts: pd.DataFrame, schools: pd.DataFrame | None) -> pd.DataFrame:
    """Per district its school's name, capacity, pupils over all its districts, and capacity utilisation."""
    school_ids = districts["school_id"].astype("str")
    if schools is not None:
        table = pd.DataFrame({"school_name": schools["name"].astype("str").to_numpy(),
                              "capacity": pd.to_numeric(_column(schools, "capacity")).astype("float64").to_numpy()},
                             index=schools["school_id"].astype("str").to_numpy())
        table = table[~table.index.duplicated()].reindex(school_ids.to_numpy()).set_axis(districts.index)
    else:
        table = pd.DataFrame({"school_name": pd.Series(None, index=districts.index, dtype="str"),
                              "capacity": np.nan}, index=districts.index)
    pupils = pd.to_numeric(districts["pupils"]).astype("float64")
    school_pupils = pupils.groupby(school_ids).transform("sum").mask(pupils.isna().groupby(school_ids).transform("any"))
    return pd.DataFrame({
        "school_name": table["school_name"].astype("str"),
        "capacity": table["capacity"].round().astype("Int64"),
        "school_pupils": school_pupils.round().astype("Int64"),
        "utilisation": share(school_pupils, table["capacity"]),
    }, index=districts.index)


def district_segregation(districts: pd.DataFrame) -> dict:
    """D across school districts of the pupils living in udsat-or-worse areas against all pupils."""
    result = group_indices(districts, {"group": "pupils_udsat_or_worse", "total": "pupils"})
    return {"units": "school districts", **result}


# --- the stage -----------------------------------------------------------------------------------


def run(config: Config) -> list[Path]:
    """Compute the socio-economic mix per housing area and school district and write the stage's files."""
    started = time.perf_counter()
    mix_config = {**config["mix"], "tenures": list(config["ingest"]["tenures"])}
    areas = read_layer(config, "housing_areas")
    parcels = read_layer(config, "parcels")
    districts = read_layer(config, "school_districts") if has_layer(config, "school_districts") else None
    schools = read_layer(config, "schools") if has_layer(config, "schools") else None
    log.info("Mix started: %d housing areas, %d parcels", len(areas), len(parcels))

    assigned = assign_parcels(parcels, areas, districts)
    coverage = {"outside_areas": report_unassigned(assigned, "area_id", "housing area")}
    mixed = areas_mix(assigned, areas, mix_config)
    summary = segregation_summary(mixed, mix_config)
    outputs = [write_geoparquet(mixed, config.processed("areas_mix.parquet"))]
    if districts is not None:
        coverage["outside_districts"] = report_unassigned(assigned, "district_id", "school district")
        figures = district_mix(assigned, mixed, districts, schools)
        summary["school_districts"] = district_segregation(figures)
        outputs.append(write_geoparquet(figures, config.processed("school_districts.parquet")))
    summary["coverage"] = coverage
    summary["reference_values"] = reference_values(mix_config)
    outputs.insert(1, write_json(summary, config.processed("segregation.json")))

    counts = mixed["status"].value_counts()
    log.info(
        "Mix computed %d areas in %.1f s: %s (%s)", len(mixed), time.perf_counter() - started,
        ", ".join(f"{counts.get(s, 0)} {s}" for s in ("omdannelse", "parallelsamfund", "udsat", "forebyggelse")),
        STATUS_NOTE,
    )
    return outputs
