"""The school-sites page: today's districts and each scenario's catchments coloured by capacity utilisation,
the candidate sites, and the scenarios stage's comparison table and bar chart (read, never recomputed); the
district proposals' front, and the best proposals' districts and school mixes (district_plans.py)."""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.publish.catalogue import legend_title
from pipeline.publish.classes import classify
from pipeline.publish.figures import Prepared, figures_of
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import Legend, add_panel, bounds_of, extent_bounds, finish, new_map, save_page
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.district_plans import add_plan_layers, plan_mixes, plan_name
from pipeline.publish.pages.kit import (
    PAGES,
    bar_chart,
    in_page_language,
    missing,
    missing_notice,
    panel_head,
    ranking_objective,
    render,
)
from pipeline.publish.pages.layers import AREA_STYLE, add_schools, context_layer
from pipeline.publish.pages.symbols import CANDIDATE_SITES, drawn

SCHOOL_FIELDS = ["school_name", "pupils", "capacity", "utilisation", "share_pupils_udsat_or_worse", "mean_dist_m",
                 "p90_dist_m", "pupils_gain_free_transport", "pupils_lose_free_transport", "over_capacity"]
# Catchments (dissolved parcels) with more vertices than this in all are drawn on a grid of CATCHMENT_CELL_M
# squares (each square to the school holding most of its parcel area), which keeps the school-sites page of
# hundreds of schools x scenarios within its size budget. The parquet file keeps the exact catchments.
MAX_CATCHMENT_VERTICES = 200_000
CATCHMENT_CELL_M = 100.0
# The two reference scenarios' layer names (pipeline.scenarios: the baseline under the candidates' allocation
# rule, and today's districts as drawn), drawn first (message ids).
REFERENCE_LAYERS = {"baseline": "Baseline: today's schools, same allocation rule",
                    "districts_as_drawn": "Today's districts as drawn (reference)"}


@in_page_language
def build_school_sites(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """Today's districts and each scenario's catchments, candidate sites, and a comparison with the baseline."""
    page = PAGES[3]
    sites = inputs.get("scenarios_school_sites")
    catchments = inputs.get("scenarios_school_catchments")
    districts = inputs.get("school_districts_mix")
    m = new_map(config, bounds_of(catchments if isinstance(catchments, gpd.GeoDataFrame) else None, districts)
                or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    body = [panel_head(page, config, lang)]
    if sites is None:
        body.append(missing_notice("School site scenarios", missing(inputs, "scenarios_school_sites"), lang))
    else:
        prepared = figures_of(inputs, config, lang)["school_sites"]  # each school's figures, small ones suppressed
        colours, entries = classify(sites["utilisation"], prepared.hidden, config, "utilisation")
        sites = prepared.with_rows().assign(fill=colours.to_numpy())
        shapes = catchment_shapes(sites, catchments, districts)
        if shapes is None:
            body.append(missing_notice("Catchment maps", missing(inputs, "scenarios_school_catchments", "school_districts_mix"),
                                       lang))
        else:
            _add_scenario_layers(m, shapes, prepared, config, lang, entries)
        summary = inputs.get("scenarios_school_summary")
        if summary is None:
            body.append(missing_notice("Scenario comparison", missing(inputs, "scenarios_school_summary"), lang))
        else:
            body.append(scenario_comparison(figures_of(inputs, config, lang)["school_summary"], lang))
            body.append(ranking_objective(inputs, "school_sites", lang))
    add_plan_layers(m, inputs, config, lang)  # today's districts and the best proposals, coloured by school
    proposals = inputs.get("districting_summary")
    if proposals is not None and len(proposals):
        body.append(districting_front(figures_of(inputs, config, lang)["districting_summary"], config, lang))
        body.append(plan_mixes(inputs, config, lang))
    candidates = inputs.get("candidate_sites")
    if candidates is not None and "kind" in candidates.columns:
        candidates = candidates[candidates["kind"].astype(str) == "school"]
    context_layer(m, candidates, config, lang("Candidate school sites"),
                  fields=["name", "site_id", "capacity", "closes_school_id"],
                  options=drawn(CANDIDATE_SITES))
    add_schools(m, inputs, config, lang)
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def catchment_shapes(sites: pd.DataFrame, catchments: pd.DataFrame | None,
                     districts: pd.DataFrame | None) -> gpd.GeoDataFrame | None:
    """Per scenario and school: the catchment polygon with the school's figures (baseline: today's districts)."""
    parts = []
    if isinstance(catchments, gpd.GeoDataFrame) and len(catchments):
        catchments = catchments[["scenario_id", "school_id", "geometry"]]
        if shapely.get_num_coordinates(catchments.geometry.to_numpy()).sum() > MAX_CATCHMENT_VERTICES:
            catchments = catchments_on_grid(catchments, CATCHMENT_CELL_M)
        parts.append(catchments)
    has_drawn = bool(parts) and (parts[0]["scenario_id"] == "districts_as_drawn").any()
    # today's districts as drawn, where the stage wrote no catchments for them and each names one school (shared
    # districts have no single one)
    if not has_drawn and isinstance(districts, gpd.GeoDataFrame) and len(districts) and "school_id" in districts:
        base = districts[["school_id", "geometry"]].dissolve(by="school_id", as_index=False)
        parts.append(gpd.GeoDataFrame(base.assign(scenario_id="districts_as_drawn"), geometry="geometry", crs=districts.crs))
    if not parts:
        return None
    shapes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)
    shapes["school_id"] = shapes["school_id"].astype(str)
    sites = sites.assign(school_id=sites["school_id"].astype(str))
    merged = shapes.merge(pd.DataFrame(sites.drop(columns="geometry", errors="ignore")), on=["scenario_id", "school_id"], how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=shapes.crs)


def catchments_on_grid(catchments: gpd.GeoDataFrame, cell_m: float) -> gpd.GeoDataFrame:
    """Each scenario's catchments drawn as grid squares: a square goes to the school holding most of its parcel area."""
    parts, row = shapely.get_parts(catchments.geometry.to_numpy(), return_index=True)
    cell = np.floor(shapely.get_coordinates(shapely.point_on_surface(parts)) / cell_m).astype(np.int64)
    pieces = pd.DataFrame({"scenario_id": catchments["scenario_id"].to_numpy()[row],
                           "school_id": catchments["school_id"].to_numpy()[row],
                           "cx": cell[:, 0], "cy": cell[:, 1], "area": shapely.area(parts)})
    sums = pieces.groupby(["scenario_id", "cx", "cy", "school_id"], sort=False)["area"].sum().reset_index()
    best = sums.sort_values(["area", "school_id"], ascending=[False, True], kind="stable").drop_duplicates(
        ["scenario_id", "cx", "cy"])
    squares = shapely.box(best["cx"] * cell_m, best["cy"] * cell_m, (best["cx"] + 1) * cell_m, (best["cy"] + 1) * cell_m)
    grid = gpd.GeoDataFrame(best[["scenario_id", "school_id"]], geometry=squares, crs=catchments.crs)
    merged = grid.dissolve(by=["scenario_id", "school_id"], method="coverage", sort=False).reset_index()
    merged["geometry"] = shapely.simplify(merged.geometry.to_numpy(), 0.0)  # drop the squares' collinear corners
    return gpd.GeoDataFrame(merged[["scenario_id", "school_id", "geometry"]], geometry="geometry", crs=catchments.crs)


def _add_scenario_layers(m: folium.Map, shapes: gpd.GeoDataFrame, prepared: Prepared, config: Config, lang: Language,
                         entries) -> None:
    """One switchable layer per scenario (baseline first and shown), with the utilisation legend; each catchment's
    figures its school's as prepared (a catchment without them has its own, suppressed as of unknown size)."""
    order = [*REFERENCE_LAYERS, *sorted(s for s in shapes["scenario_id"].astype(str).unique() if s not in REFERENCE_LAYERS)]
    for scenario in order:
        part = shapes[shapes["scenario_id"].astype(str) == scenario]
        if part.empty:
            continue
        name = lang(REFERENCE_LAYERS[scenario]) if scenario in REFERENCE_LAYERS else \
            lang("Scenario: {name}", name=_scenario_name(part, scenario))
        # a catchment without the school's figures (today's districts as drawn) is named by its school_id
        names = part["school_name"].where(part["school_name"].notna(), part["school_id"]) if "school_name" in part \
            else part["school_id"]
        part = part.assign(school_name=names)
        group = context_layer(m, part, config, name, fields=SCHOOL_FIELDS, prepared=prepared,
                              show=scenario == "baseline",
                              options={"title": "school_name", "fill": "fill", "style": {**AREA_STYLE, "weight": 2, "fillOpacity": 0.6},
                                       "tipLabel": lang("Utilisation"), "tipValue": "f_utilisation"})
        Legend(m, group, legend_title("utilisation", lang("{name}: capacity utilisation", name=name), lang), entries).add_to(m)


def _scenario_name(rows: pd.DataFrame, fallback: str) -> str:
    """A scenario's name from its rows (its id when it has none)."""
    if "scenario_name" in rows.columns and rows["scenario_name"].notna().any():
        return str(rows["scenario_name"].dropna().iloc[0])
    return fallback


def scenario_comparison(prepared: Prepared, lang: Language) -> str:
    """The side panel's table and bar chart, as written by the scenarios stage (scenarios_school_summary.parquet:
    ranked scenarios in rank order, today's districts as drawn last), each figure as prepared; placing only."""
    summary = prepared.values
    texts = prepared.texts(["rank", "dissimilarity", "dissimilarity_vs_baseline", "mean_dist_m", "mean_dist_m_vs_baseline",
                            "pupils_gain_free_transport", "pupils_lose_free_transport", "schools_over_capacity",
                            "pupils_over_capacity"])
    rows = []
    for rec, text in zip(summary.to_dict("records"), texts.to_dict("records"), strict=True):
        rows.append({
            "id": str(rec["scenario_id"]), "name": lang(str(rec["scenario_name"])),  # the reference rows' names translated
            "rank": text["rank"] if rec["ranked"] else lang("reference"),
            "d": text["dissimilarity"], "d_change": text["dissimilarity_vs_baseline"],
            "dist": text["mean_dist_m"], "dist_change": text["mean_dist_m_vs_baseline"],
            "gain": text["pupils_gain_free_transport"], "lose": text["pupils_lose_free_transport"],
            "schools_over": text["schools_over_capacity"], "pupils_over": text["pupils_over_capacity"],
        })
    names = summary["scenario_name"].astype(str).map(lang)
    return render("school_comparison.html", lang, rows=rows) + bar_chart(
        names, summary["dissimilarity"], list(texts["dissimilarity"]), summary["rank"], "Dissimilarity D by scenario", lang)


def districting_front(prepared: Prepared, config: Config, lang: Language) -> str:
    """Today's districts and the proposals for new ones (districting_summary.parquet, CONTRACT 6b) as the stage
    wrote them, in objective order: D, mean distance and pupils moved in a table, D as bars (the best in green);
    the plans under a development on school ground are left to the files. Placing only (figures as prepared)."""
    summary = prepared.values
    plans = summary[summary["site_id"].isna()] if "site_id" in summary.columns else summary
    plans = plans[plans["d_index"].notna()]
    names = [plan_name(p, lang) for p in plans["plan_id"].astype(str)]
    texts = prepared.texts(["d_index", "mean_dist_m", "pupils_moved"]).loc[plans.index]
    rows = [{"id": str(plan_id), "name": name, "d": text["d_index"], "dist": text["mean_dist_m"], "moved": text["pupils_moved"]}
            for name, plan_id, text in zip(names, plans["plan_id"], texts.to_dict("records"), strict=True)]
    values = pd.to_numeric(plans["d_index"])
    top = float(values.max()) if len(values) else 0.0
    best = str(plans["plan_id"].iloc[1]) if len(plans) > 1 else ""
    bars = [{"name": row["name"], "width": f"{(v / top * 100) if top else 0:.1f}", "best": row["id"] == best,
             "text": row["d"]} for row, v in zip(rows, values, strict=True)]
    settings = config["districting"]
    note = lang("D: dissimilarity of the group's pupils across schools (lower is better). Each proposal keeps every "
                "district in one piece, every school within its capacity + {tolerance}, and no pupil's walk beyond "
                "{walk} unless it was already. The districts of each plan are in districting_plans.gpkg.",
                tolerance=other_text(lang, "capacity_tolerance", settings["capacity_tolerance"]),
                walk=other_text(lang, "max_walk_m", settings["max_walk_m"]))
    return render("districting_front.html", lang, rows=rows, bars=bars, note=note)
