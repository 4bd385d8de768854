"""The school-sites page's district proposals (CONTRACT 6b) as maps and tables: today's districts and the best few
proposals (publish.districting_plans_shown, in the proposals' objective order) as map themes, each district coloured
by its school with the units that change school outlined, and per proposal each school's pupil mix before and after
in the panel. Everything is read from the scenarios stage's districting tables, never recomputed: a plan's districts
are its units (districting_units) dissolved by the school the plan gives them (districting_plans); the figures are
districting_schools' and districting_summary's."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from pipeline.core.config import Config
from pipeline.publish.catalogue import STATUS_LABELS, indicator
from pipeline.publish.figures import Figures, Prepared, figures_of
from pipeline.publish.glossary import term
from pipeline.publish.i18n import NO_DATA, Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import DataLayer, LayerTable, Legend, add_layer
from pipeline.publish.pages.kit import render
from pipeline.publish.pages.layers import embed_data, shown_frame

CURRENT = "current"
# A district's fill (its school's colour, see school_colours) under a white outline; the units changing school
# outlined in black, dashed, and shaded a little (the canvas renderer draws no hatching).
DISTRICT_STYLE = {"color": "#ffffff", "weight": 1.5, "fillOpacity": 0.7}
MOVED_STYLE = {"color": "#000000", "weight": 2.5, "dashArray": "5 4", "fillColor": "#000000", "fillOpacity": 0.15}
# Paul Tol's "light" qualitative scheme without its grey (made for areas under labels, colour-blind safe), then four
# darker hues of his "muted" one: each school has a colour of its own where there are at most twelve, else the
# colours are shared, never by districts that neighbour in any plan shown where the twelve allow (school_colours).
SCHOOL_COLOURS = ("#77AADD", "#EE8866", "#44BB99", "#EEDD88", "#99DDFF", "#FFAABB", "#BBCC33", "#AAAA00", "#332288",
                  "#AA4499", "#117733", "#882255")
# The districts of the plans shown (and apart, their units changing school), drawn with more vertices than this in
# all, are simplified with a tolerance doubled from publish.simplify_tolerance_m until they fit (within_budget): the
# page stays within its size budget on a city of thousands of street blocks (about 22 bytes a vertex).
MAX_PLAN_VERTICES = 80_000
MAX_TOLERANCE_M = 320.0
# A plan's figures in the panel and the popups: before (today's districts over the same units) and after.
BEFORE, AFTER = ["pupils_before", "group_share_before"], ["pupils_after", "group_share_after"]
# The panel's columns: the school, its capacity, then each figure today -> in the plan in one cell (the panel is
# 336 px wide: six columns would hide the group's share behind a sideways scroll).
MIX_COLUMNS = ["school_name", "capacity", ("pupils_before", "pupils_after"), ("group_share_before", "group_share_after")]
MOVED_FIELDS = ["from_school_id", "to_school_id", "pupils", "group_pupils"]


def plan_name(plan_id: str, lang: Language) -> str:
    """A plan's name on the pages: today's districts, or "Proposal 1" for plan_01 (the best)."""
    if plan_id == CURRENT:
        return lang("Today's districts")
    return lang("Proposal {n}", n=plan_id.removeprefix("plan_").lstrip("0"))


def proposals(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's proposals under today's schools (no development on school ground), in its objective order."""
    plans = summary[summary["site_id"].isna()] if "site_id" in summary.columns else summary
    plans = plans[plans["plan_id"].astype(str).ne(CURRENT) & plans["d_index"].notna()]
    if "proposal" in plans.columns:
        plans = plans[plans["proposal"].fillna(False).astype(bool)]
    return plans


def shown_plans(summary: pd.DataFrame | None, config: Config) -> list[str]:
    """Today's districts and the best publish.districting_plans_shown proposals; none when there is no proposal."""
    if summary is None or not len(summary) or "plan_id" not in summary.columns:
        return []
    best = proposals(summary)["plan_id"].astype(str).head(int(config["publish"]["districting_plans_shown"])).tolist()
    if not best:
        return []
    return ([CURRENT] if summary["plan_id"].astype(str).eq(CURRENT).any() else []) + best


def plan_shapes(units: gpd.GeoDataFrame, plans: pd.DataFrame, plan_ids: list[str],
                config: Config) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Per plan: its districts (its units dissolved by school) and the units changing school (dissolved by the
    pair of schools, with their pupils and group pupils), simplified to the page's vertex budget."""
    rows = plans[plans["plan_id"].astype(str).isin(plan_ids) & plans["school_id"].notna()]
    shapes = units.set_index(units["unit_id"].astype(str)).geometry
    frame = gpd.GeoDataFrame(
        {"plan_id": rows["plan_id"].astype(str).to_numpy(), "school_id": rows["school_id"].astype(str).to_numpy(),
         "from_school_id": rows["from_school_id"].astype(str).to_numpy(),
         "pupils": pd.to_numeric(rows["pupils"]).to_numpy(), "group_pupils": pd.to_numeric(rows["group_pupils"]).to_numpy(),
         "moved": rows["moved"].fillna(False).astype(bool).to_numpy()},
        geometry=shapes.reindex(rows["unit_id"].astype(str)).to_numpy(), crs=units.crs)
    frame = frame[frame.geometry.notna()]
    # street blocks and grid cells tile the municipality edge to edge: their coverage union is exact and fast
    method = "coverage" if bool(shapely.coverage_is_valid(units.geometry.to_numpy())) else "unary"
    districts = frame[["plan_id", "school_id", "geometry"]].dissolve(by=["plan_id", "school_id"], method=method,
                                                                    sort=False).reset_index()
    moved = frame[frame["moved"]].rename(columns={"school_id": "to_school_id"})
    moved = moved[["plan_id", "from_school_id", "to_school_id", "pupils", "group_pupils", "geometry"]].dissolve(
        by=["plan_id", "from_school_id", "to_school_id"], aggfunc="sum", method=method, sort=False).reset_index()
    return within_budget(districts, config), within_budget(moved, config)


def within_budget(frame: gpd.GeoDataFrame, config: Config) -> gpd.GeoDataFrame:
    """The frame's shapes simplified, each plan's as one coverage where they form one (shared boundaries alike, no
    gaps), with a tolerance doubled from publish.simplify_tolerance_m until all have at most MAX_PLAN_VERTICES."""
    tolerance = max(float(config["publish"].get("simplify_tolerance_m") or 0.0), 1.0)
    original = frame.geometry.to_numpy()
    geoms, plan = original.copy(), frame["plan_id"].to_numpy()
    while shapely.get_num_coordinates(geoms).sum() > MAX_PLAN_VERTICES and tolerance <= MAX_TOLERANCE_M:
        for plan_id in np.unique(plan):  # one coverage per plan (a handful)
            own = original[plan == plan_id]
            geoms[plan == plan_id] = shapely.coverage_simplify(own, tolerance) if bool(shapely.coverage_is_valid(own)) \
                else shapely.simplify(own, tolerance, preserve_topology=True)
        tolerance *= 2
    return frame.set_geometry(geoms)


def school_colours(districts: gpd.GeoDataFrame) -> dict[str, str]:
    """A colour per school, the same in every plan: one of its own where SCHOOL_COLOURS has enough, else the least
    used colour of none of its neighbours in any plan shown (greedy, schools with most neighbours first)."""
    geoms = districts.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    plan, school = districts["plan_id"].to_numpy(), districts["school_id"].astype(str).to_numpy()
    keep = (plan[left] == plan[right]) & (school[left] != school[right])
    neighbours: dict[str, set[str]] = {s: set() for s in sorted(set(school))}
    for a, b in zip(school[left[keep]], school[right[keep]], strict=True):  # pairs of schools, not geometries
        neighbours[a].add(b)
    colours: dict[str, str] = {}
    for s in sorted(neighbours, key=lambda s: (-len(neighbours[s]), s)):
        taken = {colours[n] for n in neighbours[s] if n in colours}
        uses = [sum(c == v for v in colours.values()) for c in SCHOOL_COLOURS]
        # the least used colour no neighbour has (the least used of all where every one is a neighbour's)
        ranked = sorted(range(len(SCHOOL_COLOURS)), key=lambda i: (SCHOOL_COLOURS[i] in taken, uses[i], i))
        colours[s] = SCHOOL_COLOURS[ranked[0]]
    return colours


def school_mixes(inputs: Inputs) -> pd.DataFrame | None:
    """districting_schools' rows under today's schools, ids as text."""
    mixes = inputs.get("districting_schools")
    if mixes is None:
        return None
    mixes = mixes[mixes["site_id"].isna()] if "site_id" in mixes.columns else mixes
    return mixes.assign(plan_id=mixes["plan_id"].astype(str), school_id=mixes["school_id"].astype(str))


def school_names(mixes: pd.DataFrame) -> dict[str, str]:
    """Each school's name (its id where it has none)."""
    first = mixes.drop_duplicates("school_id")
    names = first["school_name"].where(first["school_name"].notna(), first["school_id"]).astype(str)
    return dict(zip(first["school_id"], names, strict=True))


def _district_texts(part: gpd.GeoDataFrame, current: bool, schools: Prepared) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A plan's districts as the page shows them: each school's figures after the plan and before it (today's
    districts' alone), as prepared (person-based ones suppressed for a school with fewer pupils than the privacy
    minimum, before and after apart)."""
    fields = ["school_name", "capacity", *(BEFORE if current else AFTER)]
    shown = shown_frame(part, fields, schools, title="school_name")
    if not current:
        shown = shown.join(schools.texts_for(part, BEFORE).add_prefix("f_"))
        fields += BEFORE
    return shown, fields


def add_plan_layers(m: folium.Map, inputs: Inputs, config: Config, lang: Language) -> None:
    """Today's districts and each proposal shown as a theme: districts coloured by school (tooltip: the group's share
    of its pupils; popup: capacity, pupils and group share after and before), the units changing school outlined."""
    figures = figures_of(inputs, config, lang)
    summary, units, plans, schools = (inputs.get("districting_summary"), inputs.get("districting_units"),
                                      inputs.get("districting_plans"), figures["plan_schools"])
    shown_ids = shown_plans(summary, config)
    if not shown_ids or units is None or plans is None or schools is None or not len(units):
        return
    mixes = school_mixes(inputs)
    districts, moved = plan_shapes(units, plans, shown_ids, config)
    districts = districts.merge(schools.with_rows().drop(columns=["site_id", "school_name"], errors="ignore"),
                                on=["plan_id", "school_id"], how="left")
    names, colours = school_names(mixes), school_colours(districts)
    districts["school_name"] = districts["school_id"].map(names).fillna(districts["school_id"])
    for plan_id in shown_ids:
        part = districts[districts["plan_id"] == plan_id]
        if part.empty:
            continue
        name = lang("Districts by school: {plan}", plan=plan_name(plan_id, lang))
        shown, fields = _district_texts(part, plan_id == CURRENT, schools)
        shown["fill"] = part["school_id"].map(colours).to_numpy()
        share = "group_share_before" if plan_id == CURRENT else "group_share_after"
        data = embed_data(m, shown, config, [[lang(indicator(c).label), f"f_{c}"] for c in fields])
        changing = _moved_data(m, moved[moved["plan_id"] == plan_id], names, figures, config, lang)
        group = add_layer(m, data, name, {"fill": "fill", "style": DISTRICT_STYLE, "tipLabel": lang(indicator(share).label),
                                          "tipValue": f"f_{share}"}, show=False)
        extra = []
        if changing is not None:
            options = {"style": MOVED_STYLE, "tipLabel": lang(indicator("pupils_moved").label), "tipValue": "f_pupils"}
            extra.append((options, lang(indicator("moved").label)))  # its legend row drawn from the same options
            group.add_child(DataLayer(changing, options))
            group.add_child(LayerTable(m, changing, lang("{plan}: where pupils change school", plan=plan_name(plan_id, lang)),
                                       options))
        order = part.sort_values("school_name", key=lambda s: s.str.casefold())
        entries = [(colours[s], n) for s, n in zip(order["school_id"], order["school_name"], strict=True)]
        Legend(m, group, name, entries, extra=extra).add_to(m)


def _moved_data(m: folium.Map, part: gpd.GeoDataFrame, names: dict[str, str], figures: Figures, config: Config,
                lang: Language):
    """The units of one plan changing school, by pair of schools, embedded (None when none changes); the pupils of
    a pair with fewer than the privacy minimum suppressed (`Figures.sized`)."""
    if part.empty:
        return None
    source, target = part["from_school_id"].map(names).fillna(part["from_school_id"]), \
        part["to_school_id"].map(names).fillna(part["to_school_id"])
    part = part.assign(from_school_id=source.to_numpy(), to_school_id=target.to_numpy(),
                       title=[lang("From {source} to {target}", source=a, target=b) for a, b in zip(source, target, strict=True)])
    shown = shown_frame(part, MOVED_FIELDS, figures.sized(part, "pupils"), title="title")
    return embed_data(m, shown, config, [[lang(indicator(c).label), f"f_{c}"] for c in MOVED_FIELDS])


def group_words(config: Config, lang: Language) -> str:
    """Whose mix the proposals improve, as the run applied it (districting.group_statuses, else udsat or worse)."""
    statuses = list(config["districting"]["group_statuses"] or [])
    if not statuses:
        return lang("pupils living in udsat-or-worse areas")
    return lang("pupils living in areas of status {statuses}",
                statuses=", ".join(lang(STATUS_LABELS.get(s, s)) for s in statuses))


def plan_mixes(inputs: Inputs, config: Config, lang: Language) -> Markup:
    """Per proposal shown: the pupils changing school, and each school's capacity, pupils and the group's share of
    them before (today's districts) and after, person-based figures of a school with few pupils suppressed; the
    columns headed by the glossary's short labels (the panel is narrow; the popups give the full ones)."""
    figures = figures_of(inputs, config, lang)
    summary, schools = inputs.get("districting_summary"), figures["plan_schools"]
    shown_ids = [p for p in shown_plans(summary, config) if p != CURRENT]
    if not shown_ids or schools is None:
        return Markup("")
    mixes = schools.values
    plans = figures["districting_summary"]
    moved = pd.Series(list(plans.text("pupils_moved")), index=plans.values["plan_id"])
    moved = moved[~moved.index.duplicated()]
    blocks = []
    for plan_id in shown_ids:
        rows = mixes[mixes["plan_id"] == plan_id]
        texts = schools.texts_for(rows, ["school_name", "capacity", *BEFORE, *AFTER])
        cells = [texts[c] if isinstance(c, str) else list(zip(texts[c[0]], texts[c[1]], strict=True)) for c in MIX_COLUMNS]
        blocks.append({"id": plan_id, "name": plan_name(plan_id, lang), "moved": moved.get(plan_id, lang(NO_DATA)),
                       "rows": [{"id": s, "cells": list(row)} for s, *row in zip(rows["school_id"], *cells, strict=True)]})
    note = figures.note()
    return render("districting_plans.html", lang, blocks=blocks, moved_label=indicator("pupils_moved").label,
                  headers=[[term(c).short] if isinstance(c, str) else [term(x).short for x in c] for c in MIX_COLUMNS],
                  group=group_words(config, lang),
                  count=note["count"], label=note["label"])
