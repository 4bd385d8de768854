"""School-site scenarios: the baseline, today's districts as drawn and one scenario per candidate site; the
figures per scenario and school, and the catchments.

The baseline and every candidate allocate pupils by the same rule (allocation.allocate_near: the nearest open
school with room when scenarios.honour_capacity); today's districts as drawn is a reference row, shown and
summarised but not ranked. See docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem, first_ids
from pipeline.core.io import layer_path
from pipeline.core.log import log, warn
from pipeline.core.progress import track
from pipeline.mix import UDSAT_OR_WORSE, dissimilarity
from pipeline.scenarios._tables import (
    BASELINE_ID,
    BASELINE_NAME,
    CATCHMENT_COLUMNS,
    DISTRICTS_ID,
    DISTRICTS_NAME,
    REFERENCE_IDS,
    SCHOOL_COLUMNS,
)
from pipeline.scenarios.allocation import NearSchools, allocate_near, districts_as_drawn_pairs
from pipeline.scenarios.distances import beyond_network, linked_district_pairs, nearest_schools
from pipeline.scenarios.ranking import rank_school_scenarios, school_ranking, school_summary_in_rank_order

P90_NUMERATOR, P90_DENOMINATOR = 9, 10  # the 90th percentile, kept as integers so the cut is exact


# --- figures per school ------------------------------------------------------------------------------------

def _p90_dist_m(pairs: pd.DataFrame, n_schools: int) -> np.ndarray:
    """Per school, the distance within which at least 90% of its pupils live (no interpolation)."""
    ordered = pairs.sort_values(["school", "dist_m"], kind="stable")
    cumulative = ordered.groupby("school")["pupils"].cumsum()
    total = ordered.groupby("school")["pupils"].transform("sum")
    reached = ordered[cumulative * P90_DENOMINATOR >= total * P90_NUMERATOR]
    p90 = reached.groupby("school")["dist_m"].first()
    return p90.reindex(range(n_schools)).to_numpy(dtype=float)


def far_pupils(pairs: pd.DataFrame, n_parcels: int, free_transport_dist_m: float) -> np.ndarray:
    """Per parcel, its pupils placed beyond free_transport_dist_m (pairs: parcel, pupils, dist_m)."""
    far = pairs["pupils"].to_numpy() * (pairs["dist_m"].to_numpy() > free_transport_dist_m)
    return np.bincount(pairs["parcel"].to_numpy(), weights=far, minlength=n_parcels).astype(np.int64)


def _free_transport_changes(pairs: pd.DataFrame, baseline_far: np.ndarray, now_far: np.ndarray) -> tuple:
    """Per row of pairs, the pupils gaining and losing free transport against the baseline.

    A parcel gains as many pupils as it has more beyond the distance than in the baseline, counted at its
    schools beyond the distance (nearest first); it loses as many as it has fewer, counted at its schools
    within the distance. So a parcel placed as in the baseline gains and loses none, however it is split.
    """
    parcel = pairs["parcel"].to_numpy()
    pupils = pairs["pupils"].to_numpy(dtype=np.int64)
    far_now = np.bincount(parcel, weights=pupils * now_far, minlength=len(baseline_far)).astype(np.int64)
    gained = np.maximum(far_now - baseline_far, 0)[parcel]
    lost = np.maximum(baseline_far - far_now, 0)[parcel]

    def spread(total: np.ndarray, rows: np.ndarray) -> np.ndarray:
        held = pupils * rows
        before = pd.Series(held).groupby(parcel).cumsum().to_numpy() - held  # this parcel's such pupils ahead
        return np.clip(total - before, 0, held)

    return spread(gained, now_far), spread(lost, ~now_far)


def school_figures(
    pairs: pd.DataFrame,
    n_schools: int,
    udsat_or_worse: np.ndarray,
    capacities: np.ndarray,
    baseline_far_pupils: np.ndarray,
    free_transport_dist_m: float,
) -> pd.DataFrame:
    """Per school (positions 0..n_schools-1 of pairs' school): pupils, utilisation, udsat share, distances,
    free-transport changes. pairs: one row per (parcel, school) with pupils and dist_m.

    Free transport is gained or lost against the baseline per parcel (baseline_far_pupils: its pupils the
    baseline placed beyond free_transport_dist_m; see _free_transport_changes), counted at the scenario's school.
    Utilisation = pupils / capacity (null without a capacity); distances are pupil-weighted.
    """
    in_udsat = np.asarray(udsat_or_worse, dtype=bool)[pairs["parcel"].to_numpy()]
    now_far = pairs["dist_m"].to_numpy() > free_transport_dist_m
    gain, lose = _free_transport_changes(pairs, np.asarray(baseline_far_pupils, dtype=np.int64), now_far)
    pairs = pairs.assign(
        udsat=pairs["pupils"] * in_udsat,
        gain=gain,
        lose=lose,
        dist_x_pupils=pairs["pupils"] * pairs["dist_m"],
    )
    sums = pairs.groupby("school")[["pupils", "udsat", "gain", "lose", "dist_x_pupils"]].sum()
    sums = sums.reindex(range(n_schools), fill_value=0)
    pupils = sums["pupils"].to_numpy(dtype=np.int64)
    capacity = np.asarray(capacities, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(capacity > 0, pupils / capacity, np.nan)
        share_udsat = np.where(pupils > 0, sums["udsat"].to_numpy() / pupils, np.nan)
        mean_dist = np.where(pupils > 0, sums["dist_x_pupils"].to_numpy() / pupils, np.nan)
    return pd.DataFrame({
        "pupils": pupils,
        "capacity": capacity,
        "utilisation": utilisation,
        "share_pupils_udsat_or_worse": share_udsat,
        "mean_dist_m": mean_dist,
        "p90_dist_m": _p90_dist_m(pairs, n_schools),
        "pupils_gain_free_transport": sums["gain"].to_numpy(dtype=np.int64),
        "pupils_lose_free_transport": sums["lose"].to_numpy(dtype=np.int64),
        "over_capacity": np.nan_to_num(pupils - capacity, nan=0.0) > 0,
        "udsat_pupils": sums["udsat"].to_numpy(dtype=np.int64),
    })


def school_dissimilarity(figures: pd.DataFrame) -> float:
    """D across a scenario's schools: pupils from udsat-or-worse areas against the other pupils."""
    return dissimilarity(figures["udsat_pupils"].to_numpy(), figures["pupils"].to_numpy())


# --- scenarios ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SchoolScenario:
    """One scenario: which schools are open (column positions) and how pupils are placed."""

    scenario_id: str
    scenario_name: str
    open_schools: np.ndarray
    by_district: bool = False  # today's districts as drawn, whatever the capacity (the reference row)


def school_scenarios(schools: pd.DataFrame, sites: pd.DataFrame) -> list[SchoolScenario]:
    """The baseline (today's schools), today's districts as drawn, then one scenario per school site: today's
    schools, the site open, its closure shut.

    schools holds today's schools then the sites' new schools, all with school_id; sites holds the
    school sites with site_id, name and closes_school_id (null: none).
    """
    n_today = len(schools) - len(sites)
    today = np.arange(n_today)
    scenarios = [SchoolScenario(BASELINE_ID, BASELINE_NAME, today),
                 SchoolScenario(DISTRICTS_ID, DISTRICTS_NAME, today, by_district=True)]
    ids = schools["school_id"].to_numpy()[:n_today]
    closes = sites["closes_school_id"] if "closes_school_id" in sites.columns else pd.Series(None, index=sites.index)
    for k, (site_id, name, closed) in enumerate(zip(sites["site_id"], sites["name"], closes, strict=True)):
        keep = today[ids != closed] if isinstance(closed, str) else today
        scenarios.append(SchoolScenario(str(site_id), str(name), np.r_[keep, n_today + k]))
    return scenarios


def _open(columns: np.ndarray, n_schools: int) -> np.ndarray:
    """Per school position, whether it is open (one of columns)."""
    is_open = np.zeros(n_schools, dtype=bool)
    is_open[columns] = True
    return is_open


def scenario_pairs(
    scenarios: Sequence[SchoolScenario],
    near: NearSchools,
    pupils: np.ndarray,
    district_school: np.ndarray,
    udsat_or_worse: np.ndarray,
    capacities: np.ndarray,
    *,
    honour_capacity: bool,
    free_transport_dist_m: float,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Figures per (scenario, school position) and each scenario's allocation as (parcel, school, pupils, dist_m)
    rows. Every scenario but today's districts as drawn is allocated by allocate_near under the same capacity
    rule; free transport is gained or lost against the baseline (scenarios[0], today's schools)."""
    baseline = allocate_near(near, pupils, capacities, honour_capacity, _open(scenarios[0].open_schools, near.n_schools))
    baseline_far = far_pupils(baseline, len(pupils), free_transport_dist_m)
    frames, allocations = [], {}
    for scenario in track(scenarios, "Scenarios: pupils allocated", unit="scenarios"):
        columns = scenario.open_schools
        if scenario.by_district:
            pairs = districts_as_drawn_pairs(near, pupils, district_school, columns, near.district_pairs)
        elif scenario.scenario_id == BASELINE_ID:
            pairs = baseline
        else:
            pairs = allocate_near(near, pupils, capacities, honour_capacity, _open(columns, near.n_schools))
        position = np.full(near.n_schools, -1)
        position[columns] = np.arange(len(columns))
        figures = school_figures(pairs.assign(school=position[pairs["school"].to_numpy()]), len(columns),
                                 udsat_or_worse, capacities[columns], baseline_far, free_transport_dist_m)
        figures.insert(0, "school", columns)
        figures.insert(0, "scenario_id", scenario.scenario_id)
        figures["dissimilarity"] = school_dissimilarity(figures)
        frames.append(figures)
        allocations[scenario.scenario_id] = pairs
    return pd.concat(frames, ignore_index=True), allocations


def catchments(
    allocations: dict[str, pd.DataFrame], parcel_geometry: gpd.GeoSeries, school_ids: np.ndarray
) -> gpd.GeoDataFrame:
    """Per (scenario, school) the dissolved parcels that send it pupils (a split parcel is in each).

    allocations: per scenario, one row per (parcel, school position) with pupils."""
    parts = [pd.DataFrame({"scenario_id": scenario_id, "school_id": school_ids[pairs["school"].to_numpy()],
                           "pupils": pairs["pupils"].to_numpy(), "parcel": pairs["parcel"].to_numpy()})
             for scenario_id, pairs in allocations.items()]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario_id", "school_id", "pupils", "parcel"])
    frame = gpd.GeoDataFrame(
        long[["scenario_id", "school_id", "pupils"]],
        geometry=parcel_geometry.to_numpy()[long["parcel"].to_numpy(dtype=np.int64)], crs=parcel_geometry.crs)
    dissolved = frame.dissolve(by=["scenario_id", "school_id"], aggfunc={"pupils": "sum"}, sort=False).reset_index()
    return dissolved[CATCHMENT_COLUMNS]


# --- the school part of the stage ----------------------------------------------------------------------------

def check_site_ids(sites: pd.DataFrame, schools: pd.DataFrame, config: Config) -> None:
    """A school site's id becomes a school id and a scenario id: it must not repeat one of those."""
    clash = sites["site_id"].isin(schools["school_id"]) | sites["site_id"].isin(REFERENCE_IDS)
    if clash.any():
        raise InputError(Problem(
            f"school sites have a site_id that is also a school_id (or one of {', '.join(REFERENCE_IDS)}), so the "
            "scenario table could not tell the new school from the old", "give the candidate sites ids of their own",
            file=layer_path(config, "candidate_sites"), layer="candidate_sites", column="site_id",
            ids=first_ids(sites.loc[clash, "site_id"]), count=int(clash.sum())))


def all_schools(schools: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, default_capacity: float) -> gpd.GeoDataFrame:
    """Today's schools then one new school per school site (id = site_id, at its representative point)."""
    capacity = pd.to_numeric(sites["capacity"]) if "capacity" in sites.columns else pd.Series(np.nan, index=sites.index)
    today_capacity = pd.to_numeric(schools["capacity"]) if "capacity" in schools.columns else np.nan
    today = pd.DataFrame({"school_id": schools["school_id"].astype("str").to_numpy(),
                          "school_name": schools["name"].astype("str").to_numpy(),
                          "capacity": np.asarray(today_capacity, dtype=float) * np.ones(len(schools)),
                          "geometry": schools.geometry.to_numpy()})
    new = pd.DataFrame({"school_id": sites["site_id"].astype("str").to_numpy(),
                        "school_name": sites["name"].astype("str").to_numpy(),
                        "capacity": capacity.fillna(float(default_capacity)).to_numpy(dtype=float),
                        "geometry": sites.geometry.representative_point().to_numpy()})
    return gpd.GeoDataFrame(pd.concat([today, new], ignore_index=True), geometry="geometry", crs=schools.crs)


def _udsat_or_worse(parcels: pd.DataFrame, areas_mix: pd.DataFrame) -> np.ndarray:
    """Whether each parcel lies in a housing area of status udsat, parallelsamfund or omdannelse."""
    status = parcels["area_id"].map(areas_mix.set_index("area_id")["status"])
    return status.isin(UDSAT_OR_WORSE).to_numpy(dtype=bool)


def _unlinked(parcels: pd.DataFrame, linked: pd.DataFrame) -> np.ndarray:
    """Per parcel -1 (no district school: the districts as drawn take its nearest school), warned when any has pupils."""
    outside = ~np.isin(np.arange(len(parcels)), linked["parcel"].to_numpy())
    if outside.any():
        warn(f"{int(outside.sum())} parcels with pupils lay in no school district with a known school; "
             "today's districts as drawn sent them to their nearest school")
    return np.full(len(parcels), -1, dtype=np.intp)


def school_outputs(
    config: Config, parcels: gpd.GeoDataFrame, areas_mix: pd.DataFrame, schools: gpd.GeoDataFrame,
    links: pd.DataFrame, sites: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, dict]:
    """The school-site table, the catchments, the per-scenario summary and the ranking figures built from it,
    from parcels with area_id and district_id and the weighted district-school links (pipeline.mix.schools.link_weights)."""
    settings = config["scenarios"]
    pupils_all = pd.to_numeric(parcels["children_6_16"]).fillna(0).to_numpy(dtype=float)
    reached = ~beyond_network(config, settings["school_network_mode"], parcels, "pupils in them are left out of "
                              "the school-site scenarios")
    with_pupils = parcels[(pupils_all > 0) & reached].reset_index(drop=True)
    pupils = pupils_all[(pupils_all > 0) & reached]
    table = all_schools(schools, sites, settings["default_new_school_capacity"])
    points = with_pupils.geometry.representative_point()
    scenarios = school_scenarios(table, sites)
    linked = linked_district_pairs(config, points, with_pupils["district_id"], pupils, links, table.iloc[:len(schools)])
    district_school = _unlinked(with_pupils, linked)

    def allocate(near: NearSchools) -> tuple:
        return scenario_pairs(
            scenarios, replace(near, district_pairs=linked), pupils, district_school, _udsat_or_worse(with_pupils, areas_mix),
            table["capacity"].to_numpy(dtype=float), honour_capacity=bool(settings["honour_capacity"]),
            free_transport_dist_m=float(config["access"]["free_transport_dist_m"]))

    (figures, allocations), method = nearest_schools(config, points, table, district_school, allocate)
    names = {s.scenario_id: s.scenario_name for s in scenarios}
    school = table.iloc[figures["school"].to_numpy()].reset_index(drop=True)
    figures = figures.assign(scenario_name=figures["scenario_id"].map(names), school_id=school["school_id"],
                             school_name=school["school_name"], geometry=school.geometry.to_numpy())
    ranks = rank_school_scenarios(figures, settings["school_objective"])
    figures["rank"] = figures["scenario_id"].map(ranks).astype("Int64")  # the reference row: no rank
    out = gpd.GeoDataFrame(figures[SCHOOL_COLUMNS], geometry="geometry", crs=schools.crs)
    log.info("Scenarios allocated %d pupils of %d parcels to %d schools in %d scenarios",
             int(pupils.sum()), len(pupils), len(table), len(scenarios))
    summary = school_summary_in_rank_order(out)
    ranking = {**school_ranking(summary, settings), "distance_method": method}
    return out, catchments(allocations, with_pupils.geometry, table["school_id"].to_numpy()), summary, ranking
