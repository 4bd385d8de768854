"""The layers the pages share: the areas' figures embedded once, filled layers with legends, and the context
layers (schools, job sites, green areas, school districts), every text in the page's language."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.paths import id_file_name
from pipeline.publish.catalogue import (
    NO_DATA_COLOUR,
    STATUS_COLOURS,
    STATUS_LABELS,
    SUPPRESSED_COLOUR,
    TENURES,
    indicator,
)
from pipeline.publish.figures import Figures, Prepared, figures_of, status_reasons
from pipeline.publish.geojson import drawn_features
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import Language, current
from pipeline.publish.maps import (
    DataTable,
    GeoData,
    Legend,
    RowsOnShapes,
    add_layer,
    rows_on_shapes,
)
from pipeline.publish.pages.symbols import GREEN_AREAS, JOB_SITES, SCHOOLS, drawn

__all__ = ["status_reasons"]  # (pipeline/publish/figures.py) the reasons as the areas' popups give them

AREA_STYLE = {"color": "#444444", "weight": 1, "fillOpacity": 0.7}
# Each area's popup ends with a link to its profile page (maps/areas/<area_id>.html), unless it is suppressed.
PROFILE_LINK = "link"  # not a figure (no f_ prefix): the href of the area's profile page

MIX_SECTIONS = (
    ("Housing", ["residents", "dwellings", *[f"share_{t}" for t in TENURES], "tenure_diversity"]),
    ("Indicative status (Almenboligloven § 61 a and § 61 b)", [
        "status", "status_reason", "criteria", "criteria_met", "share_outside_work_edu", "crime_ratio",
        "share_basic_edu", "income_ratio", "share_non_western"]),
    ("Where the figures come from", ["support_residents", "support_dwellings", "support_c1", "support_c2",
                                     "support_c3", "support_c4", "support_non_western"]),
    ("Surplus above the cap (omdannelsesområder): three alternatives",
     ["gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings"]),
    ("Accessibility", ["school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport", "jobs_walk_15",
                       "jobs_bike_30", "job_access_gravity", "job_access_index", "green_dist_m",
                       "share_residents_green_300", "green_m2_per_resident_1km", "canopy_share", "meets_canopy_30",
                       "station_dist_m", "jobs_transit_45", "job_access_transit_gravity", "job_access_transit_index",
                       "distance_method"]),
    ("Nature and green spaces", ["share_natural_cover", "share_sealed", "effective_mesh_size_ha",
                                 "share_natural_cover_ring", "share_sealed_ring", "effective_mesh_size_ha_ring",
                                 "protected_nature_dist_m"]),
)
DISTRICT_FIELDS = ["name", "district_id", "school_id", "residents", "pupils", "capacity", "utilisation",
                   "share_pupils_udsat_or_worse"]
# Job sites shown at most (the largest by jobs): a country's CVR production units would fill a page.
MAX_JOB_SITES = 5_000


def status_entries(lang: Language) -> list[tuple[str, str]]:
    """The status legend: each status's colour and its name as the law writes it."""
    return [(STATUS_COLOURS[k], lang(v)) for k, v in STATUS_LABELS.items()]


def popup_rows(columns: list[str], sections, lang: Language) -> list[list[str]]:
    """Popup rows [[section], [label, field], ...] for the columns that exist."""
    rows: list[list[str]] = []
    for title, fields in sections:
        present = [c for c in fields if c in columns]
        if present:
            rows.append([lang(title)])
            rows += [[lang(indicator(c).label), f"f_{c}"] for c in present]
    return rows


def shown_frame(frame: gpd.GeoDataFrame, columns: list[str], prepared: Prepared, title: str = "name") -> gpd.GeoDataFrame:
    """The prepared f_<column> texts of the frame's rows (pipeline/publish/figures.py: suppressed where small),
    geometry, and `name` from the title column."""
    text = prepared.texts_for(frame, columns).add_prefix("f_")
    out = gpd.GeoDataFrame(text, geometry=frame.geometry, crs=frame.crs)
    if title in frame.columns:
        out["name"] = frame[title].astype(object).where(frame[title].notna(), "").astype(str)
    else:
        out["name"] = frame.index.astype(str)
    return out


def categorical_colours(values: pd.Series, hidden: pd.Series, colours: dict[str, str]) -> pd.Series:
    """A colour per category; suppressed rows grey, unknown categories white."""
    mapped = values.map(colours).astype(object)
    return mapped.where(mapped.notna(), NO_DATA_COLOUR).where(~hidden.to_numpy(), SUPPRESSED_COLOUR)


def embed_data(m: folium.Map, shown: gpd.GeoDataFrame, config: Config, rows: list[list[str]],
               link: dict | None = None, shapes: GeoData | None = None) -> GeoData | RowsOnShapes:
    """Embed a shown frame once, with its popup rows (and a link under them); every layer drawing it uses this copy.
    With `shapes` (data already embedded with the same polygons), only the rows are embedded, drawn on those."""
    columns = [c for c in shown.columns if c != "geometry"]
    data = rows_on_shapes(shown, config, columns, rows, shapes, link) if shapes is not None else None
    if data is None:
        geojson, keys = drawn_features(shown, config, columns)
        data = GeoData(geojson, rows, link=link, shape_keys=keys)
    m.add_child(data)
    return data


def profile_links(table: gpd.GeoDataFrame, small: pd.Series) -> pd.Series:
    """Each area's profile page, relative to maps/ (areas/<area_id>.html); none for a suppressed area."""
    links = table["area_id"].map(lambda i: f"areas/{id_file_name(i)}")  # the profile writer's own file name
    return links.where(~small.to_numpy(), None)


def embed_areas(m: folium.Map, figures: Figures, config: Config, lang: Language, fills: dict[str, pd.Series]) -> GeoData:
    """Embed the areas table once: every figure as prepared (suppressed where small), a fill_<key> colour per fill,
    and the link to each area's profile page."""
    areas = figures["areas"]
    table, small = areas.values, areas.hidden
    columns = [c for c in table.columns if c not in ("geometry", "area_id", "name")]
    shown = shown_frame(table, columns, areas)
    for key, colours in fills.items():
        shown[f"fill_{key}"] = colours.to_numpy()
    link = None
    if "area_id" in table.columns:
        shown[PROFILE_LINK] = profile_links(table, small).to_numpy()
        link = _profile_link(lang)
    data = embed_data(m, shown, config, popup_rows(columns, MIX_SECTIONS, lang), link)
    m.add_child(DataTable(data, lang("Housing areas: every figure")))  # shown when several layers draw the areas
    return data


def _profile_link(lang: Language) -> dict:
    """The popup link to the area's profile page (its href in the feature's PROFILE_LINK property)."""
    return {"label": lang("Area profile"), "field": PROFILE_LINK}


def add_filled_layer(m: folium.Map, data: GeoData, key: str, name: str, entries: list[tuple[str, str]], *,
                     show: bool = False, tip_label: str | None = None, legend: str | None = None) -> None:
    """A layer of the areas filled by fill_<key>, its tooltip giving f_<key>, with its legend (texts translated)."""
    group = add_layer(m, data, name, {"fill": f"fill_{key}", "tipLabel": tip_label or name, "tipValue": f"f_{key}",
                                      "style": AREA_STYLE}, show=show)
    Legend(m, group, legend or name, entries).add_to(m)


def context_layer(m: folium.Map, frame: gpd.GeoDataFrame | None, config: Config, name: str, *,
                  fields: list[str], options: dict, show: bool = True,
                  prepared: Prepared | None = None) -> folium.FeatureGroup | None:
    """A layer of one frame (schools, districts, catchments ...) with tooltip and popup of the given fields.

    options are sbLayer's (style, fill, icon, radiusField, tipLabel, tipValue) plus `title` (the column named
    in tooltips and popups), `popup` (false: tooltip only) and `profile_link` (true: housing areas, each popup
    linking to the area's profile unless small) and `shapes` (a GeoData already embedding the frame's polygons, the
    areas': drawn on instead of embedding them again); a raw `fill` or `radius` column is passed as is.
    Texts in the language of the pages being built (`i18n.current`), `prepared`'s for the frame's rows (a table of
    pipeline/publish/figures.py the frame was made from), else the frame's own with nothing suppressed (a layer of
    no person-based figures); `name` is translated by the caller.
    """
    if frame is None or not len(frame):
        return None
    lang = current()
    options = dict(options)
    title = options.pop("title", None)
    shapes = options.pop("shapes", None)
    fields = [c for c in fields if c in frame.columns]
    prepared = prepared if prepared is not None else Prepared(frame, False, lang, "")
    small = prepared.hidden_for(frame)
    shown = shown_frame(frame, fields, prepared, title=title if title in frame.columns else fields[0])
    for key in ("radius", "fill"):
        if key in frame.columns:
            shown[key] = frame[key].to_numpy()
    link = None
    if options.pop("profile_link", False) and "area_id" in frame.columns:
        shown[PROFILE_LINK] = profile_links(frame, small).to_numpy()
        link = _profile_link(lang)
    rows = [[lang(indicator(c).label), f"f_{c}"] for c in fields]
    if not options.pop("popup", True):  # tooltip only: the fields are still the columns of the layer's table
        options["table"], rows = rows, []
    return add_layer(m, embed_data(m, shown, config, rows, link, shapes), name, options, show=show)


def add_schools(m, inputs, config: Config, lang: Language, *, show: bool = True) -> None:
    """Schools as school icons."""
    context_layer(m, inputs.get("schools"), config, lang("Schools"), fields=["name", "school_id", "capacity"],
                  options=drawn(SCHOOLS), show=show)


def add_jobs(m, inputs, config: Config, lang: Language, *, show: bool = True) -> None:
    """Job sites as circles sized by their jobs (area proportional)."""
    jobs = inputs.get("jobs")
    if jobs is None or not len(jobs):
        return
    label = lang("Job sites (sized by jobs)")
    counts = pd.to_numeric(jobs["jobs"], errors="coerce").fillna(0)
    if len(jobs) > MAX_JOB_SITES:
        label = lang("Job sites (the {shown} largest of {total}, sized by jobs)", shown=other_text(lang, "count", MAX_JOB_SITES),
                     total=other_text(lang, "count", len(jobs)))
        largest = np.argsort(-counts.to_numpy(), kind="stable")[:MAX_JOB_SITES]
        jobs, counts = jobs.iloc[largest], counts.iloc[largest]
    jobs = jobs.copy()
    counts = counts.clip(lower=0)
    jobs["radius"] = (3 + 12 * np.sqrt(counts / max(float(counts.max()), 1.0))).round(1)
    jobs["title"] = jobs["site_id"].astype(str) + ": " + counts.map(lambda n: lang("{n} jobs", n=other_text(lang, "count", n)))
    context_layer(m, jobs, config, label, fields=["site_id", "jobs", "sector"],
                  options={"title": "title", "radiusField": "radius",
                           **drawn(JOB_SITES)},
                  show=show)


def add_green(m, inputs, config: Config, lang: Language, *, show: bool = True) -> None:
    """Green areas, filled green."""
    green = inputs.get("green_areas")
    if green is None or not len(green):
        return
    green = green.copy()
    green["area_m2"] = green.geometry.area.round()  # the drawn polygon's size, as a label (no indicator)
    kinds = (" (" + green["kind"].astype(str).map(lang) + ")") if "kind" in green.columns else ""
    green["title"] = green["green_id"].astype(str).map(lambda i: lang("Green area {id}", id=i)) + kinds
    context_layer(m, green, config, lang("Green areas"), fields=["green_id", "kind", "public", "area_m2"],
                  options={"title": "title", **drawn(GREEN_AREAS)},
                  show=show)


def district_frame(inputs, config: Config, lang: Language | None = None) -> tuple[gpd.GeoDataFrame | None, Prepared | None]:
    """School districts with their pupil mix, and their prepared figures (pipeline/publish/figures.py: the small
    ones' person-based figures suppressed)."""
    prepared = figures_of(inputs, config, lang or current())["districts"]
    if prepared is None:
        return None, None
    return prepared.values, prepared
