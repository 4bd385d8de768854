"""The urban-development page: per development site the change in jobs within 30 min by bike, the receiving
areas before and after, and the scenarios stage's per-site summary (read, never recomputed)."""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import STATUS_COLOURS, TENURES, indicator, legend_title
from pipeline.publish.classes import classify
from pipeline.publish.figures import Prepared, figures_of
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs, with_area_geometry
from pipeline.publish.maps import Legend, add_panel, bounds_of, extent_bounds, finish, new_map, save_page
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.kit import (
    PAGES,
    bar_chart,
    in_page_language,
    indicative_label,
    missing,
    missing_notice,
    panel_head,
    ranking_objective,
    render,
)
from pipeline.publish.pages.layers import AREA_STYLE, categorical_colours, context_layer, status_entries
from pipeline.publish.pages.symbols import CANDIDATE_SITES, drawn

DEVELOPMENT_FIELDS = ["site_name", "contains_site", "status_before", "status_after", "share_social_family_before",
                      "share_social_family_after", "share_social_family_change", "gap_add_dwellings_before",
                      "gap_add_dwellings_after", "jobs_bike_30_before", "jobs_bike_30_after", "jobs_bike_30_change",
                      # by bus and train, where a GTFS feed was given (null without one: then not shown)
                      "jobs_transit_45_before", "jobs_transit_45_after", "jobs_transit_45_change"]


@in_page_language
def build_urban_development(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """Development sites, the areas they change (before/after) and the change in job access, per site."""
    page = PAGES[4]
    dev = inputs.get("scenarios_development")
    areas = inputs.get("housing_areas")
    m = new_map(config, bounds_of(areas) or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    body = [panel_head(page, config, lang), indicative_label(lang, None)]
    if dev is None or areas is None:
        body.append(missing_notice("Urban development scenarios", missing(inputs, "scenarios_development", "housing_areas"),
                                   lang))
    else:
        figures = figures_of(inputs, config, lang)  # each area's rows suppressed by the area's residents today
        prepared = figures["development"]
        shaped = with_area_geometry(prepared.with_rows(), areas)
        _add_development_layers(m, shaped, prepared, config, lang)
        summary = inputs.get("scenarios_development_summary")
        if summary is None:
            body.append(missing_notice("Site comparison", missing(inputs, "scenarios_development_summary"), lang))
        else:  # privacy: the receiving area's status is person-based, hidden when the area is small
            body.append(development_comparison(figures["development_summary"], lang))
            body.append(ranking_objective(inputs, "development", lang))
    candidates = inputs.get("candidate_sites")
    if candidates is not None and "kind" in candidates.columns:
        candidates = candidates[candidates["kind"].astype(str) == "development"]
    context_layer(m, candidates, config, lang("Development sites"),
                  fields=["name", "site_id", *[f"new_dwellings_{t}" for t in TENURES], "new_jobs"],
                  options=drawn(CANDIDATE_SITES))
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _add_development_layers(m: folium.Map, shaped: gpd.GeoDataFrame, prepared: Prepared, config: Config,
                            lang: Language) -> None:
    """Per site, areas coloured by the change in jobs within 30 min by bike; the receiving areas before/after."""
    fields = [c for c in ["name", *DEVELOPMENT_FIELDS] if c in shaped.columns
              and (not c.startswith("jobs_transit") or shaped[c].notna().any())]
    small = prepared.hidden_for(shaped)
    by_site = shaped.groupby(shaped["site_id"].astype(str), sort=False) if "jobs_bike_30_change" in shaped.columns else []
    for i, (site, part) in enumerate(by_site):
        hidden = small.loc[part.index]
        colours, entries = classify(part["jobs_bike_30_change"], hidden, config, "jobs_bike_30_change")
        site_name = str(part["site_name"].dropna().iloc[0]) if "site_name" in part and part["site_name"].notna().any() else site
        name = lang("Site {name}: change in jobs within 30 min by bike", name=site_name)
        group = context_layer(m, part.assign(fill=colours.to_numpy()), config, name, fields=fields, prepared=prepared,
                              show=i == 0,
                              options={"title": "name", "fill": "fill", "style": AREA_STYLE, "profile_link": True,
                                       "tipLabel": lang("Change in jobs by bike"), "tipValue": "f_jobs_bike_30_change"})
        Legend(m, group, legend_title("jobs_bike_30_change", name, lang), entries).add_to(m)
    if "contains_site" in shaped.columns:
        hosts = shaped[shaped["contains_site"].fillna(False).astype(bool)]
        if len(hosts) and "status_after" in hosts.columns:
            hidden = small.loc[hosts.index]
            colours = categorical_colours(hosts["status_after"], hidden, STATUS_COLOURS)
            group = context_layer(m, hosts.assign(fill=colours.to_numpy()), config,
                                  lang("Areas receiving a site: status after"), fields=fields, prepared=prepared,
                                  show=False,
                                  options={"title": "name", "fill": "fill", "style": {**AREA_STYLE, "weight": 3},
                                           "profile_link": True,
                                           "tipLabel": lang("Share social family after"),
                                           "tipValue": "f_share_social_family_after"})
            Legend(m, group, lang("Status after the development (indicative)"), status_entries(lang)).add_to(m)


def development_comparison(prepared: Prepared, lang: Language) -> str:
    """Per site, as written by the scenarios stage (scenarios_development_summary.parquet, in rank order): the
    receiving area's mix and status before and after and the mean change in job access, the status suppressed
    where the receiving area is small (as prepared); placing only."""
    summary = prepared.values
    texts = prepared.texts(["rank", "share_social_family_before", "share_social_family_after", "gap_add_dwellings_before",
                            "gap_add_dwellings_after", "mean_jobs_bike_30_change", "mean_jobs_transit_45_change",
                            "share_social_family_change"])
    statuses = pd.DataFrame({c: prepared.words(c) for c in ("status_before", "status_after")})
    sites = []
    for rec, text, status in zip(summary.to_dict("records"), texts.to_dict("records"), statuses.to_dict("records"),
                                 strict=True):
        sites.append({
            "id": str(rec["site_id"]), "name": str(rec["site_name"] if pd.notna(rec["site_name"]) else rec["site_id"]),
            "rank": lang("rank {rank}", rank=text["rank"]) if pd.notna(rec["rank"]) else lang("not ranked"),
            "area": lang("in {area}", area=rec["area_name"]) if pd.notna(rec["area_name"])
            else lang("in no housing area (changes no area's mix)"),
            "share_before": text["share_social_family_before"], "share_after": text["share_social_family_after"],
            "status_before": status["status_before"], "status_after": status["status_after"],
            "gap_before": text["gap_add_dwellings_before"], "gap_after": text["gap_add_dwellings_after"],
            "jobs_change": text["mean_jobs_bike_30_change"], "transit_change": text["mean_jobs_transit_45_change"],
        })
    transit = "mean_jobs_transit_45_change" in summary.columns and summary["mean_jobs_transit_45_change"].notna().any()
    names = summary["site_name"].where(summary["site_name"].notna(), summary["site_id"]).astype(str)
    shown = list(texts["share_social_family_change"])
    labels = {"bike": lang(indicator("mean_jobs_bike_30_change").label),
              "transit": lang(indicator("mean_jobs_transit_45_change").label) if transit else None}
    return render("development_comparison.html", lang, sites=sites, labels=labels) + bar_chart(
        names, summary["share_social_family_change"], shown, summary["rank"],
        "Change in the receiving area's social family share (percentage points)", lang)
