"""The plan-over-time page: projected status per area and year, the plan areas' family-housing share against the
cap, the rehousing flows and the projects ranked by effect, read from the scenarios stage's plan tables (projections)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import STATUS_COLOURS, indicator
from pipeline.publish.figures import Prepared, figures_of
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs, with_area_geometry
from pipeline.publish.maps import Legend, add_panel, bounds_of, extent_bounds, finish, new_map, save_page
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.kit import (
    PAGES,
    in_page_language,
    indicative_label,
    missing,
    missing_notice,
    panel_head,
    render,
)
from pipeline.publish.pages.layers import AREA_STYLE, categorical_colours, context_layer, status_entries

FIELDS = ["name", "year", "status", "share_social_family", "gap_add_dwellings", "dwellings", "residents",
          "rehoused_in", "status_without_rehousing", "onto_list_by_rehousing"]
CHART_W, CHART_H = 260, 100  # the share chart's drawing area (px)


@in_page_language
def build_plan(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """A layer per year of the projected status; per plan area its share against the cap; flows; projects."""
    page = next(p for p in PAGES if p.file == "plan.html")
    trajectory, areas = inputs.get("plan_trajectory"), inputs.get("housing_areas")
    m = new_map(config, bounds_of(areas) or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    empty = trajectory is not None and not len(trajectory)
    body = [panel_head(page, config, lang), indicative_label(lang, None), render("plan_note.html", lang, empty=empty)]
    if trajectory is None or areas is None:
        body.append(missing_notice("The plan over time", missing(inputs, "plan_trajectory", "housing_areas"), lang))
    elif not empty:
        figures = figures_of(inputs, config, lang)
        prepared = figures["plan_years"]  # each area's year, small ones suppressed
        trajectory = prepared.values
        shaped = with_area_geometry(prepared.with_rows(), areas)
        years = sorted(int(y) for y in shaped["year"].unique())
        labels = [lang("Projected status {year}", year=year) for year in years]
        for year, label in zip(years, labels, strict=True):  # each year a theme: one year on the map at a time
            part = shaped[shaped["year"].eq(year)]
            colours = categorical_colours(part["status"], prepared.hidden_for(part), STATUS_COLOURS)
            layer = context_layer(m, part.assign(fill=colours.to_numpy()), config, label,
                                  fields=FIELDS, prepared=prepared, show=year == years[-1],
                                  options={"title": "name", "fill": "fill", "style": AREA_STYLE, "profile_link": True,
                                           "tipLabel": lang(indicator("share_social_family").label),
                                           "tipValue": "f_share_social_family"})
            Legend(m, layer, lang("Projected status {year} (indicative)", year=year), status_entries(lang)).add_to(m)
        body.append(render("plan_year.html", lang, years=years, labels=labels))
        body.append(_charts(prepared, inputs.get("plan_projects"), config, lang))
        body.append(_flows(figures["plan_rehousing"], lang))
        body.append(_ranking(figures["plan_effects"], lang))
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _charts(prepared: Prepared, projects: pd.DataFrame | None, config: Config, lang: Language) -> str:
    """Per area with projects: its social family share year by year against the cap, as a line and a table (the
    figures as prepared)."""
    trajectory = prepared.values
    cap = float(config["mix"]["family_housing_cap"])
    planned = [] if projects is None else list(dict.fromkeys(projects["area_id"].astype(str)))
    charts = []
    for area_id in planned:
        rows = trajectory[trajectory["area_id"].eq(area_id)].sort_values("year")
        if not len(rows):
            continue
        texts = prepared.texts(["share_social_family", "gap_add_dwellings"]).loc[rows.index]
        shown = list(texts["share_social_family"])
        years = rows["year"].astype(int).to_numpy()
        shares = pd.to_numeric(rows["share_social_family"]).to_numpy(dtype=float, na_value=np.nan)
        span = max(int(years[-1] - years[0]), 1)
        xs = (years - years[0]) / span * CHART_W
        points = " ".join(f"{x:.1f},{CHART_H * (1 - s):.1f}" for x, s in zip(xs, shares, strict=True) if s == s)
        charts.append({
            "name": str(rows["name"].iloc[0]), "points": points, "cap_y": f"{CHART_H * (1 - cap):.1f}",
            "first": str(years[0]), "last": str(years[-1]),
            "label": lang("{name}: social family share {first} {a}, {last} {b}; the cap is {cap}", name=rows["name"].iloc[0],
                          first=years[0], a=shown[0], last=years[-1], b=shown[-1],
                          cap=other_text(lang, "family_housing_cap", cap)),
            "rows": [{"year": str(y), "share": share, "gap": gap}
                     for y, share, gap in zip(years, shown, texts["gap_add_dwellings"], strict=True)],
        })
    return render("plan_charts.html", lang, charts=charts, width=CHART_W, height=CHART_H,
                  share_label=lang(indicator("share_social_family").label),
                  gap_label=lang(indicator("gap_add_dwellings").label))


def _flows(rehousing: Prepared | None, lang: Language) -> str:
    """Rehoused residents per year, origin and receiving area; a mark where rehousing alone moves it onto a list
    (the receiving area's year suppressed as prepared)."""
    flows = []
    if rehousing is not None and len(rehousing.values):
        rows, hidden = rehousing.values, rehousing.hidden.to_numpy()
        for rec, residents, status, hide in zip(rows.to_dict("records"), rehousing.text("residents"),
                                                rehousing.words("status"), hidden, strict=True):
            flows.append({"year": str(int(rec["year"])), "origin": str(rec["origin_name"]), "area": str(rec["name"]),
                          "residents": residents, "status": status,
                          "onto": (not hide) and bool(rec["onto_list_by_rehousing"])})
    return render("plan_flows.html", lang, flows=flows)


def _ranking(effect: Prepared | None, lang: Language) -> str:
    """The projects in rank order with their effect on their own area at the horizon (dwellings, not people), the
    figures as prepared ("not relevant" where the cap binds the area neither with nor without the project)."""
    projects = []
    if effect is not None and len(effect.values):
        texts = effect.texts(["rank", "share_social_family_change", "gap_add_dwellings_change",
                              "gap_change_per_million_dkk"])
        for rec, text in zip(effect.values.to_dict("records"), texts.to_dict("records"), strict=True):
            projects.append({
                "rank": text["rank"], "name": str(rec["project_name"]), "area": str(rec["name"]),
                "share": text["share_social_family_change"], "gap": text["gap_add_dwellings_change"],
                "per_million": text["gap_change_per_million_dkk"]})
    return render("plan_projects.html", lang, projects=projects)
