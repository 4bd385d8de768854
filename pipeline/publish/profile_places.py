"""The profile's sections about places: access beside the municipality, school districts, scenarios, history.

Like pipeline/publish/profile_sections.py (the status, criteria, path off the list, gap and tenure
sections), each `*_section` takes the area's id or row and the release's shared lookups and returns what
the template draws, or a `missing` text; person-based figures of small areas, districts, schools or years
are the suppressed label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.publish.figures import Prepared
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import Language
from pipeline.publish.profile_charts import history_chart
from pipeline.publish.profile_sections import (
    ACCESS_FIELDS,
    ACCESS_LABELS,
    CRITERIA_ROWS,
    HISTORY,
    TRANSIT_FIELDS,
    fmt,
    known,
    missing_columns,
    missing_text,
    status_text,
)
from pipeline.publish.status_text import RULE_COLUMNS, rule_set_text

if TYPE_CHECKING:
    from pipeline.publish.profile_shared import Shared


# The figures of a district and of a scenario's school a profile shows, carried into the area's overlaps as their
# prepared texts (columns named TEXT + the figure): suppressed by the district's or school's own size.
DISTRICT_FIGURES = ["pupils", "capacity", "utilisation", "share_pupils_udsat_or_worse"]
CATCHMENT_FIGURES = ["rank", "utilisation", "share_pupils_udsat_or_worse", "mean_dist_m"]
DEVELOPMENT_FIGURES = ["share_social_family_before", "share_social_family_after", "jobs_bike_30_change"]
TEXT = "text_"


def municipality_means(municipality: pd.DataFrame | None, fields: tuple[str, ...]) -> dict[str, float | None]:
    """Each access figure's municipality average, as the access stage wrote it (municipality_access)."""
    if municipality is None or municipality.empty:
        return {}
    row = municipality.iloc[0]
    return {c: (None if pd.isna(row[c]) else float(row[c])) for c in fields if c in municipality.columns}


def access_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """The area's access figures beside the municipality's average (written by the access stage)."""
    lang = shared.lang
    rows = [{"label": lang(ACCESS_LABELS[c]), "value": shared.area_text(row, c),
             "mean": shared.mean_text(c)}
            for c in ACCESS_FIELDS if c in row.index and (c not in TRANSIT_FIELDS or shared.means.get(c) is not None)]
    if not rows:
        missing = shared.inputs.missing.get("areas_access")
        return {"rows": [], "note": None,
                "missing": missing_text(lang, shared.inputs, "areas_access") if missing else
                missing_columns(shared, "areas_access", "access figures")}
    method = row.get("distance_method")
    note = (lang("Distances are straight lines times a detour factor: there was no street network.")
            if known(method) and str(method).startswith("straight") else None)
    return {"rows": rows, "note": note, "missing": None}


# ---------------------------------------------------------------- districts and scenarios


def overlaps(areas: pd.DataFrame, zones: pd.DataFrame, config: Config) -> pd.DataFrame | None:
    """Pairs of housing area and zone (district, catchment) with the share of the area's surface in the zone.

    Pairs below publish.profile_min_overlap_share are boundary slivers of layers drawn apart, left out.
    """
    if not isinstance(areas, gpd.GeoDataFrame) or areas.geometry.isna().all() or not len(zones):
        return None
    zones = gpd.GeoDataFrame(zones, geometry="geometry")
    if zones.crs is not None and areas.crs is not None and zones.crs != areas.crs:
        zones = zones.to_crs(areas.crs)
    shapes, zone_shapes = areas.geometry.to_numpy(), zones.geometry.to_numpy()
    area_index, zone_index = zones.sindex.query(shapes, predicate="intersects")
    own = shapely.area(shapes[area_index])
    # each area is intersected once with each distinct zone shape (a district's catchment recurs in many scenarios)
    same_shape = pd.factorize(pd.Series(shapely.to_wkb(zone_shapes), dtype=object), use_na_sentinel=False)[0]
    pairs_key = area_index.astype(np.int64) * (len(zone_shapes) + 1) + same_shape[zone_index]
    _, first, pair = np.unique(pairs_key, return_index=True, return_inverse=True)
    inside = shapely.area(shapely.intersection(shapes[area_index[first]], zone_shapes[zone_index[first]]))[pair]
    pairs = pd.DataFrame(zones.drop(columns="geometry").iloc[zone_index]).reset_index(drop=True)
    pairs["area_id"] = areas["area_id"].astype(str).to_numpy()[area_index]
    pairs["area_share"] = inside / pd.Series(own).where(pd.Series(own) > 0).to_numpy()
    minimum = float(config["publish"]["profile_min_overlap_share"])
    return pairs[pairs["area_share"] >= minimum].sort_values(["area_id", "area_share"], ascending=[True, False])


def district_section(area_id: str, shared: Shared) -> dict:
    """The school districts the area lies in, with their pupil mix (suppressed for a small district)."""
    lang = shared.lang
    if shared.districts is None:
        return {"rows": [], "missing": missing_text(lang, shared.inputs, "school_districts_mix")
                if "school_districts_mix" in shared.inputs.missing else lang("no data")}
    found = shared.records_of("districts", shared.districts, area_id)
    rows = [{"name": fmt(lang, "name", d.get("name", d.get("district_id"))),
             "school": fmt(lang, "school_name", d.get("school_name")),
             "area_share": other_text(lang, "overlap_share", d["area_share"]),
             **{c: d[f"{TEXT}{c}"] for c in DISTRICT_FIGURES}}
            for d in found]  # a handful of districts per area
    return {"rows": rows, "missing": None if rows else lang("The area lies in none of the school districts.")}


def _yes_no(lang: Language, value: object) -> str:
    """A yes/no fact in the page's language ("no data" when unknown)."""
    return lang("no data") if not known(value) else lang("yes") if bool(value) else lang("no")


def development_section(area_id: str, hidden: bool, shared: Shared) -> dict:
    """Each development site's effect on this area: status, social family share and jobs by bike, before and after."""
    lang, prepared = shared.lang, shared.figures["development"]  # suppressed by the area's residents today
    if prepared is None:
        return {"rows": [], "missing": missing_text(lang, shared.inputs, "scenarios_development")}
    table = prepared.values.assign(**prepared.texts(DEVELOPMENT_FIGURES, prefix=TEXT))
    rows = []
    for site in shared.records_of("development", table, area_id):  # one row per development site
        values = {c: site[f"{TEXT}{c}"] for c in DEVELOPMENT_FIGURES}
        for column in ("status_before", "status_after"):
            status = site.get(column)
            values[column] = status_text(lang, status, hidden, shared.label)
        rows.append({"site": fmt(lang, "site_name", site.get("site_name", site.get("site_id"))),
                     "receives": _yes_no(lang, site.get("contains_site")), **values})
    return {"rows": rows, "missing": None if rows else lang("No development site in the scenarios.")}


def _scenario_order(catchments: pd.DataFrame) -> pd.DataFrame:
    """The catchment rows with the baseline first, then the scenarios by rank, each area's largest share first."""
    if "scenario_id" not in catchments.columns:
        return catchments
    keys = catchments["scenario_id"].astype(str).ne("baseline").astype(int) * 1_000_000
    if "rank" in catchments.columns:
        keys = keys + pd.to_numeric(catchments["rank"], errors="coerce").fillna(999_999)
    return catchments.assign(_order=keys.to_numpy()).sort_values(["_order", "area_share"], ascending=[True, False],
                                                                  kind="stable")


def school_scenario_section(area_id: str, shared: Shared) -> dict:
    """In each school-site scenario, the schools whose catchment covers the area, with their figures."""
    lang = shared.lang
    if shared.catchments is None:  # not there (not supplied, not computed, out of date), or no scenario was measured
        name = next((n for n in ("scenarios_school_sites", "scenarios_school_catchments") if n in shared.inputs.missing),
                    None)
        return {"rows": [], "missing": missing_text(lang, shared.inputs, name) if name else
                lang("No school-site scenario covers the area.")}
    found = shared.records_of("catchments", shared.catchments, area_id, prepare=_scenario_order)
    # the scenarios stage names its reference rows in English message ids ("Baseline (today's schools ...)")
    rows = [{"scenario": lang(fmt(lang, "scenario_name", s.get("scenario_name", s.get("scenario_id")))),
             "school": fmt(lang, "school_name", s.get("school_name", s.get("school_id"))),
             "area_share": other_text(lang, "overlap_share", s["area_share"]),
             **{c: s[f"{TEXT}{c}"] for c in CATCHMENT_FIGURES}}
            for s in found]  # scenarios x a few schools
    return {"rows": rows, "missing": None if rows else lang("No school-site scenario covers the area.")}


# ---------------------------------------------------------------- history


def _year_rules(year: dict) -> dict:
    """A history row's rule set (its rule_* and threshold columns, as pipeline/publish/status_text.py reads them)."""
    return {c: year[c] for c in RULE_COLUMNS if c in year and known(year[c])} | \
        {c: None for c in ("rule_to_year",) if c in year and not known(year[c])}


HIDDEN_YEAR = "_hidden"  # the column _years_in_order adds: the year's residents are too few (or unknown) to show


def _years_in_order(history: Prepared) -> pd.DataFrame:
    """The history's rows with a year, by year, each marked hidden as prepared (residents under the privacy minimum,
    or unknown; statistics without a year give no history)."""
    years = history.values.assign(**{HIDDEN_YEAR: history.hidden, f"{TEXT}criteria_met": history.text("criteria_met")})
    return years[years["year"].notna()].sort_values("year", kind="stable")


def history_section(area_id: str, shared: Shared) -> dict:
    """Each criterion over the years with the threshold of each year's rules; a year with few residents suppressed."""
    lang, history = shared.lang, shared.history
    if history is None:
        return {"charts": [], "rows": [], "missing": missing_text(lang, shared.inputs, HISTORY)}
    years = shared.records_of("history", history, area_id, prepare=lambda _: _years_in_order(shared.figures["history"]))
    if not years:
        return {"charts": [], "rows": [], "missing": lang("No history for this area.")}
    hidden = [y[HIDDEN_YEAR] for y in years]
    year_list = [int(y["year"]) for y in years]
    charts = []
    for code, column, _, label in CRITERIA_ROWS:
        if column not in years[0]:
            continue
        values = [None if h or not known(y[column]) else float(y[column]) for y, h in zip(years, hidden, strict=True)]
        if all(v is None for v in values):
            continue
        thresholds = [float(t) if known(t) else None for t in (y.get(f"{code}_threshold") for y in years)]
        charts.append({"label": lang(label), "chart": history_chart(
            year_list, values, thresholds, value_text=lambda v, c=column: fmt(lang, c, v), year_text=str)})
    rows = [{"year": str(int(y["year"])), "rule_set": rule_set_text(lang, {**shared.rules, **_year_rules(y)})
             if "rule_terms" in y else lang("no data"),
             "status": status_text(lang, y.get("status"), bool(h), shared.label, y.get("rule_terms")),
             "criteria_met": y[f"{TEXT}criteria_met"]}
            for y, h in zip(years, hidden, strict=True)]  # one row per year
    return {"charts": charts, "rows": rows, "missing": None}
