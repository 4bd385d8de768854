"""The demo's parcels: blocks, parcel boxes, dwellings by tenure and the counts of people."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.demo.design import (
    AGE_PROFILES,
    ALLOCATION_ORDER,
    COUNT_COLUMNS,
    CRS,
    PARCELS_PER_BLOCK,
    QUAD_M,
    RAIL_CLEARANCE_M,
    RURAL,
    STREET_MARGIN_M,
    TENURES,
    _rate_profiles,
)
from pipeline.demo.history import DATA_YEAR
from pipeline.demo.layout import Grid

# --------------------------------------------------------------------------------------------------
# Parcels and their counts


def _blocks(quads: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The street blocks of every housing quadrant, with the building type and parcels across and up."""
    q = quads[quads.area >= 0]
    per = (QUAD_M // q.spacing).astype(int).to_numpy()
    rep = np.repeat(np.arange(len(q)), per * per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per * per) - per * per, per * per)
    side = per[rep]
    s = q.spacing.to_numpy()[rep]
    blocks = pd.DataFrame({"area": q.area.to_numpy()[rep], "layout": q.layout.to_numpy()[rep], "spacing": s,
                           "x": q.x.to_numpy()[rep] + (k % side) * s, "y": q.y.to_numpy()[rep] + (k // side) * s})
    building = {"houses": "house", "terraces": "terrace", "flats": "flat", "centre": "flat"}
    kind = blocks.layout.map(building).to_numpy(dtype=object)
    mixed = (blocks.layout == "mixed").to_numpy()
    checker = ((blocks.x // s + blocks.y // s) % 2 == 0).to_numpy()
    kind[mixed] = np.where(checker[mixed], "house", "flat")
    blocks["building"] = kind
    dims = np.array([PARCELS_PER_BLOCK[(b, sp)] for b, sp in zip(kind, s, strict=True)])
    blocks["nx"], blocks["ny"] = dims[:, 0], dims[:, 1]
    return blocks


def _green_patch_blocks(rng: np.random.Generator, blocks: pd.DataFrame, plan: pd.DataFrame) -> np.ndarray:
    """One block per area of houses, terraces or mixed housing kept as a small green patch (under 1 ha)."""
    eligible = plan.layout.isin(["houses", "terraces", "mixed"]).to_numpy()[blocks.area.to_numpy()]
    key = rng.random(len(blocks)) + np.where(eligible, 0.0, 2.0)
    order = np.lexsort((key, blocks.area.to_numpy()))
    first = order[np.r_[True, blocks.area.to_numpy()[order][1:] != blocks.area.to_numpy()[order][:-1]]]
    return first[eligible[first]]


def _parcel_boxes(blocks: pd.DataFrame) -> pd.DataFrame:
    """Parcels as a regular subdivision of each block's buildable part (inside the street margins)."""
    count = (blocks.nx * blocks.ny).to_numpy()
    rep = np.repeat(np.arange(len(blocks)), count)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    b = blocks.iloc[rep]
    width = (b.spacing.to_numpy() - 2 * STREET_MARGIN_M) / b.nx.to_numpy()
    height = (b.spacing.to_numpy() - 2 * STREET_MARGIN_M) / b.ny.to_numpy()
    xmin = b.x.to_numpy() + STREET_MARGIN_M + (k % b.nx.to_numpy()) * width
    ymin = b.y.to_numpy() + STREET_MARGIN_M + (k // b.nx.to_numpy()) * height
    return pd.DataFrame({"area": b.area.to_numpy(), "building": b.building.to_numpy(),
                         "xmin": xmin, "ymin": ymin, "xmax": xmin + width, "ymax": ymin + height})


def _farm_boxes(rng: np.random.Generator, cells: pd.DataFrame) -> pd.DataFrame:
    """Farm parcels along the road at the bottom of half the farmland cells: outside every housing area."""
    farmland = cells[(cells.use == "farmland") & (rng.random(len(cells)) < 0.5)]
    xmin = farmland.x.to_numpy() + rng.uniform(80, 860, len(farmland))
    ymin = farmland.y.to_numpy() + 12.0
    return pd.DataFrame({"area": -1, "building": "farm", "xmin": xmin, "ymin": ymin, "xmax": xmin + 60.0,
                         "ymax": ymin + 70.0})


def _stochastic_round(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Integers whose expectation equals the values (so area sums stay on target)."""
    floor = np.floor(values)
    return (floor + (rng.random(values.shape) < values - floor)).astype(np.int64)


def _noise(rng: np.random.Generator, n: int, sigma: float = 0.25) -> np.ndarray:
    """Parcel-to-parcel variation factors around 1."""
    return np.exp(sigma * rng.standard_normal(n)).clip(0.5, 1.6)


def _spread(rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Integer counts per parcel that add up (up to rounding) to each group's total, in proportion to weights."""
    wsum = np.bincount(group, weights=weights, minlength=len(totals))
    share = np.divide(weights, wsum[group], out=np.zeros_like(weights), where=wsum[group] > 0)
    return _stochastic_round(rng, totals[group] * share)


def _sub_count(rng: np.random.Generator, base: np.ndarray, rate: np.ndarray, group: np.ndarray) -> np.ndarray:
    """A sub-group count per parcel (at most its base) whose area rate is the area's target rate: parcel
    noise is renormalised so it averages to 1 over each area's base."""
    factor = _noise(rng, len(base))
    bsum = np.bincount(group, weights=base)
    wsum = np.bincount(group, weights=base * factor)
    norm = np.divide(bsum, wsum, out=np.ones_like(bsum), where=wsum > 0)
    expected = base * np.minimum(rate * factor * norm[group], 1.0)
    return np.minimum(_stochastic_round(rng, expected), base)


def _dwellings(rng: np.random.Generator, parcels: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Dwellings per parcel and tenure: one per house or farm, an area's flats and terraces share the rest
    of its dwelling target; tenures follow the area's shares, larger buildings taking social housing first."""
    group = parcels.group.to_numpy()
    building = parcels.building.to_numpy()
    size = ((parcels.xmax - parcels.xmin) * (parcels.ymax - parcels.ymin)).to_numpy()
    single = np.isin(building, ["house", "farm"])
    houses = np.bincount(group, weights=single, minlength=len(plan))
    wanted = np.round(plan.residents_target.to_numpy() / plan.ppd.to_numpy())
    rest = np.where(np.isnan(wanted), 0.0, np.maximum(wanted - houses, 0.0))
    total = np.where(single, 1, _spread(rng, rest, np.where(single, 0.0, size * _noise(rng, len(size))), group))
    tenure = _tenures(rng, total, group, plan[[f"share_{t}" for t in ALLOCATION_ORDER]].to_numpy())
    out = pd.DataFrame(index=parcels.index)
    for k, name in enumerate(ALLOCATION_ORDER):
        out[f"dwellings_{name}"] = np.where(tenure == k, total, 0).astype(np.int64)
    # Other dwellings: a granny flat on 2% of the houses, flats above shops in the centre.
    annex = (building == "house") & (rng.random(len(parcels)) < 0.02)
    above_shops = (plan.layout.to_numpy()[group] == "centre") & (rng.random(len(parcels)) < 0.15)
    out["dwellings_other"] = np.where(annex, 1, np.where(above_shops, rng.integers(1, 4, len(parcels)), 0))
    return out[[f"dwellings_{t}" for t in TENURES] + ["dwellings_other"]]


def _tenures(rng: np.random.Generator, dwellings: np.ndarray, group: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The tenure (column of shares) of each parcel: within each area the parcels, largest first, fill
    the tenures in order, so each tenure's dwelling share misses its target by at most one building."""
    order = np.lexsort((rng.random(len(group)), -dwellings, group))
    sorted_group, sorted_dwellings = group[order], dwellings[order].astype(float)
    totals = np.bincount(group, weights=dwellings, minlength=len(shares))
    before = np.cumsum(sorted_dwellings) - sorted_dwellings
    group_start = np.bincount(sorted_group, weights=sorted_dwellings, minlength=len(shares)).cumsum() - totals
    middle = (before - group_start[sorted_group] + sorted_dwellings / 2) / np.maximum(totals[sorted_group], 1)
    tenure = np.empty(len(group), dtype=np.int64)
    tenure[order] = np.minimum((middle[:, None] >= np.cumsum(shares, axis=1)[sorted_group]).sum(axis=1),
                               shares.shape[1] - 1)
    return tenure


def _people(rng: np.random.Generator, parcels: pd.DataFrame, dwellings: pd.DataFrame, plan: pd.DataFrame,
            mix: dict) -> pd.DataFrame:
    """Every socio-economic count of a parcel, drawn around its area's target rates; sub-counts never
    exceed their base (residents >= 18+ >= 18-64 >= 30-59, and so on)."""
    group = parcels.group.to_numpy()
    homes = dwellings.sum(axis=1).to_numpy().astype(float)
    ppd = plan.ppd.to_numpy()
    from_homes = np.bincount(group, weights=homes, minlength=len(plan)) * ppd
    target = np.where(np.isnan(plan.residents_target.to_numpy()), from_homes, plan.residents_target.to_numpy())
    residents = _spread(rng, target, homes * _noise(rng, len(homes)), group)
    p = {c: plan[c].to_numpy()[group] for c in ("adult", "working", "mid", "kids", "tax", "c1", "c2", "c3", "c4", "nw")}
    adults = _sub_count(rng, residents, p["adult"], group)
    working = _sub_count(rng, adults, p["working"], group)
    mid = _sub_count(rng, working, p["mid"], group)
    taxpayers = _sub_count(rng, working, p["tax"], group)
    mean_income = p["c4"] * mix["regional_mean_income"]
    factor = _noise(rng, len(group), 0.3)
    norm = np.bincount(group, weights=taxpayers) / np.maximum(np.bincount(group, weights=taxpayers * factor), 1e-9)
    income = np.rint(taxpayers * mean_income * factor * norm[group]).astype(np.int64)
    return pd.DataFrame({
        "residents": residents, "residents_18_64": working,
        "outside_work_edu_18_64": _sub_count(rng, working, p["c1"], group),
        "residents_30_59": mid, "basic_edu_only_30_59": _sub_count(rng, mid, p["c3"], group),
        "residents_18plus": adults,
        "convicted_18plus": _sub_count(rng, adults, p["c2"] * mix["national_conviction_rate"], group),
        "taxpayers_15_64": taxpayers, "gross_income_sum_15_64": income,
        "non_western": _sub_count(rng, residents, p["nw"], group),
        "children_6_16": _sub_count(rng, residents - adults, p["kids"], group),
    }, index=parcels.index)


def _parcels(rng: np.random.Generator, grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame,
             plan: pd.DataFrame, mix: dict) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, np.ndarray]:
    """Parcels with dwellings, people and the data year, the small green patches left inside housing areas,
    the built blocks (area, x, y, spacing) the parcels subdivide, and each parcel's area position (its
    group: len(plan) for farms outside every area)."""
    blocks = _blocks(quads, plan)
    patch = _green_patch_blocks(rng, blocks, plan)
    keep = np.ones(len(blocks), bool)
    keep[patch] = False
    boxes = pd.concat([_parcel_boxes(blocks[keep]), _farm_boxes(rng, cells)], ignore_index=True)
    clear = (boxes.ymin >= grid.rail_y + RAIL_CLEARANCE_M) | (boxes.ymax <= grid.rail_y - RAIL_CLEARANCE_M)
    boxes = boxes[clear].reset_index(drop=True)
    boxes["group"] = np.where(boxes.area >= 0, boxes.area, len(plan))
    # Farms outside every area form one more group, with the rural profile.
    rural = {"ppd": RURAL.persons_per_dwelling, **_rate_profiles(mix)[RURAL.rates], **AGE_PROFILES[RURAL.ages],
             "layout": "farm", "residents_target": np.nan,
             **{f"share_{t}": RURAL.tenure.get(t, 0.0) for t in TENURES}}
    groups = pd.concat([plan, pd.DataFrame([rural])], ignore_index=True)
    dwellings = _dwellings(rng, boxes, groups)
    people = _people(rng, boxes, dwellings, groups, mix)
    area_ids = plan.area_id.to_numpy()[np.maximum(boxes.area.to_numpy(), 0)]
    blank = (boxes.area.to_numpy() < 0) | (rng.random(len(boxes)) < 0.15)
    parcels = gpd.GeoDataFrame({
        "parcel_id": [f"P{k:06d}" for k in range(1, len(boxes) + 1)],
        "area_id": pd.array(np.where(blank, None, area_ids), dtype="string"),
        **{c: dwellings[c].to_numpy() for c in dwellings.columns},
        **{c: people[c].to_numpy() for c in COUNT_COLUMNS},
    }, geometry=_box(boxes.xmin, boxes.ymin, boxes.xmax, boxes.ymax), crs=CRS)
    parcels["year"] = DATA_YEAR  # the year of these counts; the earlier years are area tables (history.py)
    return parcels, _patches(rng, blocks.iloc[patch]), blocks[keep], boxes["group"].to_numpy()


def _patches(rng: np.random.Generator, blocks: pd.DataFrame) -> gpd.GeoDataFrame:
    """Small public green patches (pocket parks, playgrounds) of under 1 ha in a block."""
    side = np.minimum(blocks.spacing.to_numpy() - 2 * STREET_MARGIN_M, 92.0)
    inset = (blocks.spacing.to_numpy() - side) / 2
    x, y = blocks.x.to_numpy() + inset, blocks.y.to_numpy() + inset
    kind = np.where(rng.random(len(blocks)) < 0.8, "park", "other")
    return _green(_box(x, y, x + side, y + side), kind, True, "Lommepark")


def _box(xmin, ymin, xmax, ymax) -> np.ndarray:
    """Rectangles from coordinate arrays (or Series, whose index is dropped)."""
    return shapely.box(*(np.asarray(v, dtype=float) for v in (xmin, ymin, xmax, ymax)))


def _green(geometry: np.ndarray, kind, public, name: str) -> gpd.GeoDataFrame:
    """Green areas with kind, public and name (scalars repeat)."""
    n = len(geometry)
    return gpd.GeoDataFrame({"kind": np.broadcast_to(kind, n), "public": np.broadcast_to(public, n).astype(bool),
                             "name": np.full(n, name, dtype=object)}, geometry=geometry, crs=CRS)


