"""The five map pages: what each shows, built from the inputs with the helpers in maps.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.config import Config
from pipeline.publish.catalogue import (
    NO_DATA_COLOUR,
    STATUS_COLOURS,
    STATUS_LABELS,
    SUPPRESSED_COLOUR,
    TENURES,
    indicator,
    legend_title,
)
from pipeline.publish.inputs import Inputs, with_area_geometry
from pipeline.publish.maps import (
    GeoData,
    Legend,
    add_layer,
    add_panel,
    bounds_of,
    classify,
    esc,
    extent_bounds,
    feature_collection,
    finish,
    new_map,
    save_page,
    suppressed_entry,
)
from pipeline.publish.privacy import NO_DATA, display_frame, is_small, min_residents, suppressed_label
from pipeline.publish.tables import area_table_from_inputs, small_areas

INDICATIVE = "indicative, computed from supplied data"
AREA_STYLE = {"color": "#444444", "weight": 1, "fillOpacity": 0.7}
STATUS_ENTRIES = [(STATUS_COLOURS[k], v) for k, v in STATUS_LABELS.items()]  # the status legend
CANOPY_COLOURS = {"yes": "#31a354", "no": "#fdae6b"}


@dataclass(frozen=True)
class Page:
    """One map page: its file, title and the one line the index says about it."""

    file: str
    title: str
    description: str


PAGES = (
    Page("index.html", "Social balance: overview", "every input layer on one map"),
    Page("social-balance.html", "Social balance of housing areas",
         "tenure mix, the indicative official status (§61a) and its criteria, school districts' pupil mix"),
    Page("accessibility.html", "Accessibility", "distances to schools, green areas and stations; jobs within reach; tree canopy"),
    Page("school-sites.html", "School site scenarios", "catchments of each candidate school site against today's districts"),
    Page("urban-development.html", "Urban development scenarios",
         "what each development site changes in tenure mix, status and job access"),
)

MIX_SECTIONS = (
    ("Housing", ["residents", "dwellings", *[f"share_{t}" for t in TENURES], "tenure_diversity"]),
    ("Indicative status (Almenboligloven §61a)", [
        "status", "status_reason", "criteria", "criteria_met", "share_outside_work_edu", "crime_ratio",
        "share_basic_edu", "income_ratio", "share_non_western"]),
    ("Where the figures come from", ["support_residents", "support_dwellings", "support_c1", "support_c2",
                                     "support_c3", "support_c4", "support_non_western"]),
    ("Family housing gap (omdannelse areas)", ["gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings"]),
    ("Accessibility", ["school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport", "jobs_walk_15",
                       "jobs_bike_30", "job_access_gravity", "job_access_index", "green_dist_m",
                       "share_residents_green_300", "green_m2_per_resident_1km", "canopy_share", "meets_canopy_30",
                       "station_dist_m", "distance_method"]),
)
MIX_LAYERS = ("share_social_family", "tenure_diversity", "share_outside_work_edu", "crime_ratio", "share_basic_edu",
              "income_ratio", "share_non_western")
ACCESS_LAYERS = ("school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport", "jobs_walk_15", "jobs_bike_30",
                 "job_access_index", "job_access_gravity", "green_dist_m", "share_residents_green_300",
                 "green_m2_per_resident_1km", "canopy_share", "station_dist_m")
SCHOOL_FIELDS = ["school_name", "pupils", "capacity", "utilisation", "share_pupils_udsat_or_worse", "mean_dist_m",
                 "p90_dist_m", "pupils_gain_free_transport", "pupils_lose_free_transport", "over_capacity"]
DEVELOPMENT_FIELDS = ["site_name", "contains_site", "status_before", "status_after", "share_social_family_before",
                      "share_social_family_after", "share_social_family_change", "gap_add_dwellings_before",
                      "gap_add_dwellings_after", "jobs_bike_30_before", "jobs_bike_30_after", "jobs_bike_30_change"]


# ---------------------------------------------------------------- shared page parts

def run_id(config: Config) -> str:
    """The runner's run id, or a note that the page was built outside a run."""
    return str((config.get("run") or {}).get("id") or "none (built outside the runner)")


def data_date(config: Config) -> str:
    """The configured data date, else the date of the newest input file."""
    if config.get("data_date"):
        return str(config["data_date"])
    from pipeline.datasets import inputs as stage_inputs

    files = [p for p in stage_inputs(config, "ingest") if p.exists()]
    if not files:
        files = [p for p in config.processed_dir.glob("*.parquet") if p.exists()]
    if not files:
        return "unknown"
    newest = max(p.stat().st_mtime for p in files)
    return datetime.fromtimestamp(newest, UTC).date().isoformat()


def panel_head(page: Page, config: Config, *, back: bool = True) -> str:
    """Title, back link, data date, run id and data note (all escaped)."""
    parts = [f"<h1>{esc(page.title)}</h1>"]
    if back:
        parts.append('<p><a href="index.html" id="sb-back">&larr; All maps (index)</a></p>')
    parts.append(f'<p class="sb-meta">Data date: <b id="sb-data-date">{esc(data_date(config))}</b><br>'
                 f'Run id: <b id="sb-run-id">{esc(run_id(config))}</b></p>')
    if config.get("data_note"):
        parts.append(f'<p class="sb-note">{esc(config["data_note"])}</p>')
    return "".join(parts)


def missing_notice(what: str, reasons: list[str]) -> str:
    """A clear notice that a page's data is not there (yet)."""
    items = "".join(f"<li>{esc(r)}</li>" for r in reasons)
    return (f'<div class="sb-missing"><b>{esc(what)}: not computed yet.</b><ul>{items}</ul>'
            "Run <code>python -m pipeline run</code> to compute it.</div>")


# What each optional input layer feeds, for the notice on pages when it was not supplied.
LAYER_FEEDS = {
    "parcels": "every count of the housing areas (unless grid or area statistics give them)",
    "schools": "school distances, district capacity and the school-site scenarios",
    "school_districts": "the district figures and school_dist_m",
    "jobs": "jobs_walk_15, jobs_bike_30 and the job access figures",
    "green_areas": "the green-space figures",
    "streets": "network distances (straight lines x the detour factor are used instead)",
    "stations": "station_dist_m",
    "candidate_sites": "the school-site and development scenarios",
}


def absent_layers_notice(inputs: Inputs) -> str:
    """Which optional input layers were not supplied and which figures are therefore empty ("no data", not 0)."""
    absent = [name for name in LAYER_FEEDS if name in inputs.missing]
    if not absent:
        return ""
    items = "".join(f"<li><b>{esc(name.replace('_', ' '))}</b>: {esc(LAYER_FEEDS[name])}</li>" for name in absent)
    return ('<div class="sb-missing"><b>Layers not supplied.</b> The figures they feed are empty ("no data", '
            f"not 0), and maps of them are blank:<ul>{items}</ul></div>")


def missing(inputs: Inputs, *names: str) -> list[str]:
    """The reasons why these inputs are absent (empty when all are there)."""
    return [inputs.missing[n] for n in names if n in inputs.missing]


def popup_rows(columns: list[str], sections) -> list[list[str]]:
    """Popup rows [[section], [label, field], ...] for the columns that exist."""
    rows: list[list[str]] = []
    for title, fields in sections:
        present = [c for c in fields if c in columns]
        if present:
            rows.append([title])
            rows += [[indicator(c).label, f"f_{c}"] for c in present]
    return rows


def shown_frame(frame: gpd.GeoDataFrame, columns: list[str], small: pd.Series, config: Config,
                title: str = "name") -> gpd.GeoDataFrame:
    """The formatted f_<column> texts (suppressed where small), geometry, and `name` from the title column."""
    text = display_frame(frame, columns, small, suppressed_label(config)).add_prefix("f_")
    for column in [c for c in text.columns if c.startswith("f_status")]:
        text[column] = text[column].replace(STATUS_LABELS)
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


def embed_data(m: folium.Map, shown: gpd.GeoDataFrame, config: Config, rows: list[list[str]]) -> GeoData:
    """Embed a shown frame once, with its popup rows; every layer drawing it uses this one copy."""
    data = GeoData(feature_collection(shown, config, [c for c in shown.columns if c != "geometry"]), rows)
    m.add_child(data)
    return data


def embed_areas(m: folium.Map, table: gpd.GeoDataFrame, small: pd.Series, config: Config,
                fills: dict[str, pd.Series]) -> GeoData:
    """Embed the areas table once: every figure formatted (suppressed where small), a fill_<key> colour per fill."""
    columns = [c for c in table.columns if c not in ("geometry", "area_id", "name")]
    shown = shown_frame(table, columns, small, config)
    for key, colours in fills.items():
        shown[f"fill_{key}"] = colours.to_numpy()
    return embed_data(m, shown, config, popup_rows(columns, MIX_SECTIONS))


def add_filled_layer(m: folium.Map, data: GeoData, key: str, name: str, entries: list[tuple[str, str]], *,
                     show: bool = False, tip_label: str | None = None, legend: str | None = None) -> None:
    """A layer of the areas filled by fill_<key>, its tooltip giving f_<key>, with its legend."""
    group = add_layer(m, data, name, {"fill": f"fill_{key}", "tipLabel": tip_label or name, "tipValue": f"f_{key}",
                                      "style": AREA_STYLE}, show=show)
    Legend(m, group, legend or name, entries).add_to(m)


# ---------------------------------------------------------------- context layers (points, lines, polygons)

def context_layer(m: folium.Map, frame: gpd.GeoDataFrame | None, config: Config, name: str, *, fields: list[str],
                  options: dict, show: bool = True, small: pd.Series | None = None) -> folium.FeatureGroup | None:
    """A layer of one frame (schools, districts, catchments ...) with tooltip and popup of the given fields.

    options are sbLayer's (style, fill, icon, radiusField, tipLabel, tipValue) plus `title` (the column named
    in tooltips and popups) and `popup` (false: tooltip only); a raw `fill` or `radius` column is passed as is.
    """
    if frame is None or not len(frame):
        return None
    options = dict(options)
    title = options.pop("title", None)
    fields = [c for c in fields if c in frame.columns]
    small = small if small is not None else pd.Series(False, index=frame.index)
    shown = shown_frame(frame, fields, small, config, title=title if title in frame.columns else fields[0])
    for key in ("radius", "fill"):
        if key in frame.columns:
            shown[key] = frame[key].to_numpy()
    rows = [[indicator(c).label, f"f_{c}"] for c in fields] if options.pop("popup", True) else []
    return add_layer(m, embed_data(m, shown, config, rows), name, options, show=show)


def add_schools(m, inputs: Inputs, config: Config, *, show: bool = True) -> None:
    """Schools as school icons."""
    context_layer(m, inputs.get("schools"), config, "Schools", fields=["name", "school_id", "capacity"],
                  options={"icon": "fa-school"}, show=show)


def add_jobs(m, inputs: Inputs, config: Config, *, show: bool = True) -> None:
    """Job sites as circles sized by their jobs (area proportional)."""
    jobs = inputs.get("jobs")
    if jobs is None or not len(jobs):
        return
    label = "Job sites (sized by jobs)"
    counts = pd.to_numeric(jobs["jobs"], errors="coerce").fillna(0)
    if len(jobs) > MAX_JOB_SITES:
        label = f"Job sites (the {MAX_JOB_SITES:,} largest of {len(jobs):,}, sized by jobs)"
        largest = np.argsort(-counts.to_numpy(), kind="stable")[:MAX_JOB_SITES]
        jobs, counts = jobs.iloc[largest], counts.iloc[largest]
    jobs = jobs.copy()
    counts = counts.clip(lower=0)
    jobs["radius"] = (3 + 12 * np.sqrt(counts / max(float(counts.max()), 1.0))).round(1)
    jobs["title"] = jobs["site_id"].astype(str) + ": " + counts.map("{:,.0f} jobs".format)
    context_layer(m, jobs, config, label, fields=["site_id", "jobs", "sector"], options={"title": "title", "radiusField": "radius", "style": {"color": "#7a4f01", "weight": 1, "fillColor": "#f4a261",
                                                                "fillOpacity": 0.7}}, show=show)


def add_green(m, inputs: Inputs, config: Config, *, show: bool = True) -> None:
    """Green areas, filled green."""
    green = inputs.get("green_areas")
    if green is None or not len(green):
        return
    green = green.copy()
    green["area_m2"] = green.geometry.area.round()
    green["title"] = "Green area " + green["green_id"].astype(str) + (
        " (" + green["kind"].astype(str) + ")" if "kind" in green.columns else "")
    context_layer(m, green, config, "Green areas", fields=["green_id", "kind", "public", "area_m2"], options={"title": "title", "style": {"color": "#2d6a4f", "weight": 1, "fillColor": "#74c69d", "fillOpacity": 0.5}},
                  show=show)


def district_frame(inputs: Inputs, config: Config) -> tuple[gpd.GeoDataFrame | None, pd.Series | None]:
    """School districts with their pupil mix, and which are too small to show person-based figures."""
    districts = inputs.get("school_districts_mix")
    if districts is None or not len(districts):
        return None, None
    if "residents" in districts.columns:
        small = is_small(districts["residents"], min_residents(config))
    else:
        small = pd.Series("pupils" in districts.columns, index=districts.index)
    return districts, small


DISTRICT_FIELDS = ["name", "district_id", "school_id", "residents", "pupils", "capacity", "utilisation",
                   "share_pupils_udsat_or_worse"]


# The index page shows at most this many parcel dots (about 150 bytes each): more parcels are shown as a
# systematic sample (every n-th by parcel_id), so a whole country's page stays within the size budget.
MAX_PARCEL_DOTS = 5_000
# More streets than this are drawn as one line feature per walk/bike combination (no per-street tooltip),
# joined where they meet end to end and simplified (tolerance doubled from publish.simplify_tolerance_m) until
# at most MAX_STREET_VERTICES vertices remain (about 20 bytes each): a region's streets fit the page budget.
MAX_STREET_FEATURES = 5_000
MAX_STREET_VERTICES = 100_000
# Job sites shown at most (the largest by jobs): a country's CVR production units would fill a page.
MAX_JOB_SITES = 5_000
# Catchments (dissolved parcels) with more vertices than this in all are drawn on a grid of CATCHMENT_CELL_M
# squares (each square to the school holding most of its parcel area), which keeps the school-sites page of
# hundreds of schools x scenarios within its size budget. The parquet file keeps the exact catchments.
MAX_CATCHMENT_VERTICES = 200_000
CATCHMENT_CELL_M = 100.0

# ---------------------------------------------------------------- pages

def build_index(inputs: Inputs, config: Config, maps_dir: Path, warnings: list[str]) -> Path:
    """The landing page: every ingested layer on one map, links to the pages, data date, run id, warnings."""
    page = PAGES[0]
    table = area_table_from_inputs(inputs, config)
    frames = [inputs.get(n) for n in ("housing_areas", "parcels", "school_districts", "jobs", "green_areas")]
    m = new_map(config, bounds_of(*frames) or extent_bounds(config))
    if len(table) and table.geometry.notna().any():
        data = embed_areas(m, table, small_areas(table, config), config, {})
        add_layer(m, data, "Housing areas", {"style": {**AREA_STYLE, "fillColor": "#9ecae1", "fillOpacity": 0.45},
                                             "tipLabel": "Dwellings",
                                             "tipValue": "f_dwellings" if "dwellings" in table.columns else None})
    districts, small_d = district_frame(inputs, config)
    context_layer(m, districts, config, "School districts", fields=DISTRICT_FIELDS, small=small_d,
                  options={"style": {"color": "#6a3d9a", "weight": 2, "fill": True, "fillOpacity": 0.03, "dashArray": "6 4"}})
    add_green(m, inputs, config)
    streets = inputs.get("streets")
    if streets is not None and len(streets) > MAX_STREET_FEATURES:
        streets = merged_streets(streets, float(config["publish"].get("simplify_tolerance_m") or 1.0))
    context_layer(m, streets, config, "Streets", fields=["street_id", "walk", "bike"],
                  options={"style": {"color": "#555555", "weight": 1.2, "opacity": 0.8}, "popup": False})
    parcels = inputs.get("parcels")
    if parcels is not None and len(parcels):
        every = -(-len(parcels) // MAX_PARCEL_DOTS)  # a systematic sample keeps a national page within its budget
        dots = parcels.sort_values("parcel_id", kind="stable").iloc[::every].copy() if every > 1 else parcels.copy()
        dots["geometry"] = dots.geometry.representative_point()
        tenure_cols = [c for c in dots.columns if c.startswith("dwellings_")]
        dots["dwellings"] = dots[tenure_cols].sum(axis=1) if tenure_cols else np.nan
        dots["title"] = "Parcel " + dots["parcel_id"].astype(str)
        label = "Parcels (dots)" if every == 1 else f"Parcels (dots, 1 in {every})"
        context_layer(m, dots, config, label, fields=["dwellings"], show=False,
                      options={"title": "title", "style": {"radius": 2, "color": "#333333", "weight": 0, "fillColor": "#333333",
                                         "fillOpacity": 0.6}, "tipLabel": "Dwellings", "tipValue": "f_dwellings",
                               "popup": False})
    add_jobs(m, inputs, config)
    add_schools(m, inputs, config)
    context_layer(m, inputs.get("stations"), config, "Stations", fields=["name", "station_id"],
                  options={"icon": "fa-train", "iconClass": "sb-station"})
    context_layer(m, inputs.get("candidate_sites"), config, "Candidate sites",
                  fields=["name", "site_id", "kind", "capacity", "closes_school_id",
                          *[f"new_dwellings_{t}" for t in TENURES], "new_jobs"],
                  options={"icon": "fa-location-dot", "iconClass": "sb-site"})
    finish(m)
    links = "".join(f'<li><a href="{esc(p.file)}">{esc(p.title)}</a><br><span class="sb-meta">{esc(p.description)}</span></li>'
                    for p in PAGES[1:])
    ingest_missing = [r for n, r in inputs.missing.items() if n == "housing_areas"]
    body = [panel_head(page, config, back=False), f'<h2>Maps</h2><ul class="sb-links">{links}</ul>',
            '<h2>Data</h2><p class="sb-meta">Tables of every indicator per housing area: '
            '<code>data/areas.csv</code>, <code>areas.gpkg</code>, <code>areas.parquet</code> '
            f'(person-based figures of areas with fewer than {min_residents(config)} residents, or whose residents are '
            'unknown, are shown as '
            f'"{esc(suppressed_label(config))}").</p>']
    if ingest_missing:
        body.append(missing_notice("Input layers", ingest_missing))
    body.append(absent_layers_notice(inputs))
    body.append(_symbol_key())
    body.append(_warnings_markup(warnings))
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, page.title)


def _symbol_key() -> str:
    """What the index map's symbols mean."""
    items = [("#9ecae1", "Housing areas"), ("#74c69d", "Green areas"), ("#6a3d9a", "School districts (dashed)"),
             ("#f4a261", "Job sites, sized by jobs"), ("#333333", "Parcels (switch on in the layer list)")]
    rows = "".join(f'<div><span class="sb-swatch" style="background:{c}"></span>{esc(t)}</div>' for c, t in items)
    icons = ('<div><i class="fa-solid fa-school"></i> School &nbsp; <i class="fa-solid fa-train"></i> Station &nbsp; '
             '<i class="fa-solid fa-location-dot" style="color:#c1121f"></i> Candidate site</div>')
    return f"<h2>Map key</h2>{rows}{icons}"


def _warnings_markup(warnings: list[str]) -> str:
    """The run's warnings, escaped."""
    if not warnings:
        return '<h2>Warnings</h2><p class="sb-meta" id="sb-warnings">None in this run.</p>'
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    return f'<h2>Warnings ({len(warnings)})</h2><ul id="sb-warnings" class="sb-meta">{items}</ul>'


def build_social_balance(inputs: Inputs, config: Config, maps_dir: Path) -> Path:
    """Areas by indicative status, with a classed layer per mix indicator and the districts' pupil mix."""
    page = PAGES[1]
    table = area_table_from_inputs(inputs, config)
    mix = inputs.get("areas_mix")
    m = new_map(config, bounds_of(table) or extent_bounds(config))
    body = [panel_head(page, config), f'<p><span class="sb-label" id="sb-indicative">{esc(INDICATIVE)}</span></p>']
    if mix is None or not table.geometry.notna().any():
        body.append(missing_notice("Social balance of housing areas", missing(inputs, "areas_mix", "housing_areas")))
    else:
        small = small_areas(table, config)
        classed = {c: classify(table[c], small, config, c) for c in MIX_LAYERS if c in table.columns}
        fills = {c: colours for c, (colours, _) in classed.items()}
        if "status" in table.columns:
            fills = {"status": categorical_colours(table["status"], small, STATUS_COLOURS), **fills}
        data = embed_areas(m, table, small, config, fills)
        if "status" in table.columns:
            entries = list(STATUS_ENTRIES)
            if table["status"].isna().any():
                entries.append((NO_DATA_COLOUR, NO_DATA))
            if small.any():
                entries.append(suppressed_entry(config))
            add_filled_layer(m, data, "status", "Status (indicative)", entries, show=True, tip_label="Status",
                             legend="Status (indicative, §61a)")
            body.append(_status_counts(table["status"], small, config))
        for column, (_, entries) in classed.items():
            add_filled_layer(m, data, column, indicator(column).label, entries, legend=legend_title(column))
    districts, small_d = district_frame(inputs, config)
    if districts is not None and "share_pupils_udsat_or_worse" in districts.columns:
        colours, entries = classify(districts["share_pupils_udsat_or_worse"], small_d, config, "share_pupils_udsat_or_worse")
        frame = districts.assign(fill=colours.to_numpy())
        group = context_layer(m, frame, config, "School districts: pupil mix", fields=DISTRICT_FIELDS, small=small_d,
                              show=False, options={"fill": "fill", "style": {**AREA_STYLE, "weight": 2},
                                                   "tipLabel": "Pupils in udsat-or-worse areas",
                                                   "tipValue": "f_share_pupils_udsat_or_worse"})
        Legend(m, group, legend_title("share_pupils_udsat_or_worse", "School districts: " + indicator("share_pupils_udsat_or_worse").label),
               entries).add_to(m)
    elif "school_districts_mix" in inputs.missing:
        body.append(missing_notice("School districts' pupil mix", missing(inputs, "school_districts_mix")))
    add_schools(m, inputs, config, show=False)
    body.append(_segregation_markup(inputs))
    body.append(absent_layers_notice(inputs))
    body.append(_status_glossary())
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, page.title)


def _status_counts(status: pd.Series, small: pd.Series, config: Config) -> str:
    """How many areas have each status (small areas counted as suppressed)."""
    shown = status.astype(object).where(~small, "__suppressed")
    counts = shown.value_counts()
    rows = "".join(f"<tr><td>{esc(STATUS_LABELS.get(k, k))}</td><td>{int(counts.get(k, 0))}</td></tr>" for k in STATUS_LABELS)
    if counts.get("__suppressed", 0):
        rows += f"<tr><td>{esc(suppressed_label(config))}</td><td>{int(counts['__suppressed'])}</td></tr>"
    return f"<h2>Areas by status</h2><table><tr><th>Status</th><th>Areas</th></tr>{rows}</table>"


def _status_glossary() -> str:
    """The official vocabulary, explained in a sentence."""
    return ("<h2>Reading the status</h2><p class='sb-meta'>The status follows Almenboligloven §61a: an area of mainly "
            "social housing with at least 1,000 residents is <i>udsat</i> when 2 of the 4 criteria (c1 work, c2 crime, "
            "c3 education, c4 income) are met, <i>parallelsamfund</i> when also more than half the residents are of "
            "non-Western origin, <i>omdannelse</i> after years on that list; <i>forebyggelse</i> areas meet lower "
            "thresholds. <i>Undetermined</i> means data are missing that could change the status (the popup lists "
            "them); it is not the same as <i>none</i>. The official list uses two-year register averages; this map "
            "is indicative.</p>")


SEGREGATION_INDICES = {"d": "dissimilarity D", "dissimilarity": "dissimilarity D", "xpx": "isolation xPx",
                       "isolation": "isolation xPx", "h": "Theil H", "theil_h": "Theil H"}


def _segregation_markup(inputs: Inputs) -> str:
    """The municipality-wide indices (D, xPx, Theil H) from segregation.json, one row per group and index."""
    if inputs.segregation is None:
        return missing_notice("Segregation indices", missing(inputs, "segregation"))
    rows = []

    def walk(path: tuple[str, ...], value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk((*path, str(key)), inner)
        elif path and path[-1].lower() in SEGREGATION_INDICES and isinstance(value, int | float) and not isinstance(value, bool):
            group = " ".join(p for p in path[:-1] if p != "groups").replace("_", " ")
            rows.append(f"<tr><td>{esc(group)}</td><td>{esc(SEGREGATION_INDICES[path[-1].lower()])}</td>"
                        f"<td>{value:.3f}</td></tr>")

    walk((), inputs.segregation)
    body = "".join(rows) or "<tr><td colspan=3>no figures</td></tr>"
    return ("<h2>Segregation (municipality)</h2><table id='sb-segregation'><tr><th>Group</th><th>Index</th><th></th></tr>"
            f"{body}</table><p class='sb-meta'>D: share of the group that would have to move for an even spread "
            "(0 even, 1 apart); xPx: the group's share in the average member's area; H: tenure mix evenness gap.</p>")


def build_accessibility(inputs: Inputs, config: Config, maps_dir: Path) -> Path:
    """A classed layer per access indicator, with schools, job sites and green areas as context."""
    page = PAGES[2]
    table = area_table_from_inputs(inputs, config)
    access = inputs.get("areas_access")
    m = new_map(config, bounds_of(table) or extent_bounds(config))
    body = [panel_head(page, config)]
    if access is None or not table.geometry.notna().any():
        body.append(missing_notice("Accessibility", missing(inputs, "areas_access", "housing_areas")))
    else:
        small = small_areas(table, config)
        classed = {c: classify(table[c], small, config, c) for c in ACCESS_LAYERS if c in table.columns}
        fills = {c: colours for c, (colours, _) in classed.items()}
        canopy = "meets_canopy_30" in table.columns
        if canopy:
            flags = table["meets_canopy_30"].map({True: "yes", False: "no"})
            fills["meets_canopy_30"] = categorical_colours(flags, pd.Series(False, index=table.index), CANOPY_COLOURS)
        data = embed_areas(m, table, small, config, fills)
        for i, (column, (_, entries)) in enumerate(classed.items()):
            add_filled_layer(m, data, column, indicator(column).label, entries, show=i == 0, legend=legend_title(column))
        if canopy:
            add_filled_layer(m, data, "meets_canopy_30", indicator("meets_canopy_30").label,
                             [(colour, flag) for flag, colour in CANOPY_COLOURS.items()])
        body.append(_distance_method_note(table, config))
        body.append(absent_layers_notice(inputs))
        body.append(f'<p class="sb-meta">Values are means over each area\'s parcels weighted by residents (children '
                    f'6-16 for school figures). Areas with fewer than {min_residents(config)} residents (or unknown residents) show '
                    f'"{esc(suppressed_label(config))}".</p>')
    add_green(m, inputs, config, show=False)
    add_jobs(m, inputs, config, show=False)
    add_schools(m, inputs, config, show=False)
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, page.title)


def _distance_method_note(table: pd.DataFrame, config: Config) -> str:
    """Say plainly when distances are straight lines times the detour factor instead of network distances."""
    if "distance_method" not in table.columns:
        return ""
    methods = table["distance_method"].dropna().astype(str)
    fallback = methods[~methods.str.lower().str.startswith("network")]
    if fallback.empty:
        return '<p class="sb-meta" id="sb-distance-method">Distances are measured along the street network.</p>'
    factor = (config.get("access") or {}).get("detour_factor", "")
    return (f'<div class="sb-note" id="sb-distance-method"><b>Straight-line fallback:</b> for {len(fallback)} of '
            f'{len(methods)} areas, distances are straight-line distance × detour factor {esc(factor)} '
            f'(method: {esc(", ".join(sorted(fallback.unique())))}) because no usable street network was given.</div>')


def build_school_sites(inputs: Inputs, config: Config, maps_dir: Path) -> Path:
    """Today's districts and each scenario's catchments, candidate sites, and a comparison with the baseline."""
    page = PAGES[3]
    sites = inputs.get("scenarios_school_sites")
    catchments = inputs.get("scenarios_school_catchments")
    districts = inputs.get("school_districts_mix")
    m = new_map(config, bounds_of(catchments if isinstance(catchments, gpd.GeoDataFrame) else None, districts)
                or extent_bounds(config))
    body = [panel_head(page, config)]
    if sites is None:
        body.append(missing_notice("School site scenarios", missing(inputs, "scenarios_school_sites")))
    else:
        small = is_small(sites["pupils"], min_residents(config)) if "pupils" in sites.columns else pd.Series(True, index=sites.index)
        colours, entries = classify(sites["utilisation"], small, config, "utilisation")
        sites = sites.assign(fill=colours.to_numpy())
        shapes = _catchment_shapes(sites, catchments, districts)
        if shapes is None:
            body.append(missing_notice("Catchment maps", missing(inputs, "scenarios_school_catchments", "school_districts_mix")))
        else:
            _add_scenario_layers(m, shapes, config, entries)
        summary = inputs.get("scenarios_school_summary")
        if summary is None:
            body.append(missing_notice("Scenario comparison", missing(inputs, "scenarios_school_summary")))
        else:
            body.append(_scenario_comparison(summary))
    candidates = inputs.get("candidate_sites")
    if candidates is not None and "kind" in candidates.columns:
        candidates = candidates[candidates["kind"].astype(str) == "school"]
    context_layer(m, candidates, config, "Candidate school sites",
                  fields=["name", "site_id", "capacity", "closes_school_id"],
                  options={"icon": "fa-location-dot", "iconClass": "sb-site"})
    add_schools(m, inputs, config)
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, page.title)


def _catchment_shapes(sites: pd.DataFrame, catchments: pd.DataFrame | None,
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


def merged_streets(streets: gpd.GeoDataFrame, tolerance_m: float = 1.0) -> gpd.GeoDataFrame:
    """The streets as one multi-line per walk/bike combination, street_id saying how many streets each holds;
    joined end to end, and simplified from tolerance_m up until at most MAX_STREET_VERTICES vertices remain."""
    flags = [c for c in ("walk", "bike") if c in streets.columns]
    keys = streets[flags].fillna(True).astype(bool) if flags else pd.DataFrame(index=streets.index)
    groups = keys.groupby(flags, sort=True).indices if flags else {(): np.arange(len(streets))}
    lines = shapely.get_parts(streets.geometry.to_numpy(), return_index=True)
    rows = []
    for key, members in groups.items():
        parts = lines[0][np.isin(lines[1], members)]
        values = dict(zip(flags, key if isinstance(key, tuple) else (key,), strict=True))
        rows.append({"street_id": f"{len(members):,} streets", **values,
                     "geometry": shapely.line_merge(shapely.multilinestrings(parts))})
    merged = gpd.GeoDataFrame(rows, geometry="geometry", crs=streets.crs)
    lines = merged.geometry.to_numpy()
    tolerance = max(float(tolerance_m), 0.1)
    drawn = shapely.simplify(lines, tolerance, preserve_topology=False)
    while shapely.get_num_coordinates(drawn).sum() > MAX_STREET_VERTICES:
        tolerance *= 2
        drawn = shapely.simplify(lines, tolerance, preserve_topology=False)
    return merged.set_geometry(drawn)


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


# The two reference scenarios' layer names (pipeline.scenarios: the baseline under the candidates' allocation
# rule, and today's districts as drawn), drawn first.
REFERENCE_LAYERS = {"baseline": "Baseline: today's schools, same allocation rule",
                    "districts_as_drawn": "Today's districts as drawn (reference)"}


def _add_scenario_layers(m: folium.Map, shapes: gpd.GeoDataFrame, config: Config, entries) -> None:
    """One switchable layer per scenario (baseline first and shown), with the utilisation legend."""
    order = [*REFERENCE_LAYERS, *sorted(s for s in shapes["scenario_id"].astype(str).unique() if s not in REFERENCE_LAYERS)]
    small = is_small(shapes["pupils"], min_residents(config)) if "pupils" in shapes.columns else pd.Series(True, index=shapes.index)
    for scenario in order:
        part = shapes[shapes["scenario_id"].astype(str) == scenario]
        if part.empty:
            continue
        name = REFERENCE_LAYERS.get(scenario) or f"Scenario: {_scenario_name(part, scenario)}"
        part = part.assign(school_name=part.get("school_name", part["school_id"]))
        group = context_layer(m, part, config, name, fields=SCHOOL_FIELDS, small=small.loc[part.index],
                              show=scenario == "baseline",
                              options={"title": "school_name", "fill": "fill", "style": {**AREA_STYLE, "weight": 2, "fillOpacity": 0.6},
                                       "tipLabel": "Utilisation", "tipValue": "f_utilisation"})
        Legend(m, group, legend_title("utilisation", f"{name}: capacity utilisation"), entries).add_to(m)


def _scenario_name(rows: pd.DataFrame, fallback: str) -> str:
    """A scenario's name from its rows (its id when it has none)."""
    if "scenario_name" in rows.columns and rows["scenario_name"].notna().any():
        return str(rows["scenario_name"].dropna().iloc[0])
    return fallback


def _scenario_comparison(summary: pd.DataFrame) -> str:
    """The side panel's table and bar chart, as written by the scenarios stage (scenarios_school_summary.parquet:
    ranked scenarios in rank order, today's districts as drawn last); formatting only."""
    rows = []
    for rec in summary.to_dict("records"):
        rank = _fmt(rec["rank"], "{:.0f}") if rec["ranked"] else "reference"
        rows.append(
            f"<tr data-scenario-id='{esc(rec['scenario_id'])}'><td>{esc(rec['scenario_name'])}</td><td>{rank}</td>"
            f"<td>{_fmt(rec['dissimilarity'], '{:.3f}')}<br><small>{_fmt(rec['dissimilarity_vs_baseline'], '{:+.3f}')}</small></td>"
            f"<td>{_fmt(rec['mean_dist_m'], '{:,.0f} m')}<br><small>{_fmt(rec['mean_dist_m_vs_baseline'], '{:+,.0f} m')}</small></td>"
            f"<td>{_fmt(rec['pupils_gain_free_transport'], '{:,.0f}')} / {_fmt(rec['pupils_lose_free_transport'], '{:,.0f}')}</td>"
            f"<td>{_fmt(rec['schools_over_capacity'], '{:.0f}')} / {_fmt(rec['pupils_over_capacity'], '{:,.0f}')}</td></tr>")
    table = ("<h2>Scenarios against the baseline</h2><table id='sb-comparison'><tr><th>Scenario</th><th>Rank</th>"
             "<th>D</th><th>Mean distance</th><th>Free transport +/-</th><th>Over cap. (schools / pupils)</th></tr>"
             + "".join(rows) + "</table>"
             "<p class='sb-meta'>D: dissimilarity of pupils from udsat-or-worse areas across schools (0 = even, lower is "
             "better); small figures: change against the baseline. The baseline sends pupils to today's schools by "
             "the same rule as every candidate (nearest school with room); today's districts as drawn are shown for "
             "reference and not ranked. Rank 1 = best by the configured objective.</p>")
    return table + bar_chart(summary["scenario_name"], summary["dissimilarity"], "{:.3f}", summary["rank"],
                             "Dissimilarity D by scenario")


def _fmt(value, pattern: str) -> str:
    """A number in the pattern, or 'no data'."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return NO_DATA
    return esc(pattern.format(value))


def bar_chart(names: pd.Series, values: pd.Series, pattern: str, rank: pd.Series | None, title: str) -> str:
    """A horizontal bar chart in plain HTML and CSS (no chart library); the rank-1 bar in green."""
    numbers = pd.to_numeric(values, errors="coerce")
    top = float(numbers.abs().max()) if numbers.notna().any() else 0.0
    rows = []
    for name, value, r in zip(names, numbers, rank if rank is not None else [None] * len(names), strict=True):
        width = 0.0 if not top or pd.isna(value) else abs(float(value)) / top * 100
        best = " sb-best" if r is not None and not pd.isna(r) and int(r) == 1 else ""
        rows.append(f'<div class="sb-bar-row"><span class="sb-bar-name" title="{esc(name)}">{esc(name)}</span>'
                    f'<span class="sb-bar-track"><span class="sb-bar{best}" style="display:block;width:{width:.1f}%"></span></span>'
                    f'<span class="sb-bar-value">{_fmt(value, pattern)}</span></div>')
    return f'<h2>{esc(title)}</h2><div class="sb-bars" id="sb-bars">{"".join(rows)}</div>'


def build_urban_development(inputs: Inputs, config: Config, maps_dir: Path) -> Path:
    """Development sites, the areas they change (before/after) and the change in job access, per site."""
    page = PAGES[4]
    dev = inputs.get("scenarios_development")
    areas = inputs.get("housing_areas")
    m = new_map(config, bounds_of(areas) or extent_bounds(config))
    body = [panel_head(page, config), f'<p><span class="sb-label">{esc(INDICATIVE)}</span></p>']
    if dev is None or areas is None:
        body.append(missing_notice("Urban development scenarios", missing(inputs, "scenarios_development", "housing_areas")))
    else:
        table = area_table_from_inputs(inputs, config)
        residents = table.set_index("area_id")["residents"] if "residents" in table.columns else None
        dev = dev.assign(area_id=dev["area_id"].astype(str))
        counts = dev["area_id"].map(residents) if residents is not None else pd.Series(np.nan, index=dev.index)
        small = is_small(counts, min_residents(config))
        dev = dev.assign(residents=counts, name=dev.get("area_name", dev["area_id"]))
        shaped = with_area_geometry(dev, areas)
        _add_development_layers(m, shaped, small.loc[shaped.index], config)
        summary = inputs.get("scenarios_development_summary")
        if summary is None:
            body.append(missing_notice("Site comparison", missing(inputs, "scenarios_development_summary")))
        else:  # privacy: the receiving area's status is person-based, hidden when the area is small
            hosts = summary["area_id"].astype(object).map(residents) if residents is not None else np.nan
            small_hosts = is_small(pd.Series(hosts, index=summary.index), min_residents(config))
            body.append(_development_comparison(summary, small_hosts & summary["area_id"].notna(), config))
    candidates = inputs.get("candidate_sites")
    if candidates is not None and "kind" in candidates.columns:
        candidates = candidates[candidates["kind"].astype(str) == "development"]
    context_layer(m, candidates, config, "Development sites",
                  fields=["name", "site_id", *[f"new_dwellings_{t}" for t in TENURES], "new_jobs"],
                  options={"icon": "fa-location-dot", "iconClass": "sb-site"})
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, page.title)


def _add_development_layers(m: folium.Map, shaped: gpd.GeoDataFrame, small: pd.Series, config: Config) -> None:
    """Per site, areas coloured by the change in jobs within 30 min by bike; the receiving areas before/after."""
    fields = [c for c in ["name", *DEVELOPMENT_FIELDS] if c in shaped.columns]
    by_site = shaped.groupby(shaped["site_id"].astype(str), sort=False) if "jobs_bike_30_change" in shaped.columns else []
    for i, (site, part) in enumerate(by_site):
        hidden = small.loc[part.index]
        colours, entries = classify(part["jobs_bike_30_change"], hidden, config, "jobs_bike_30_change")
        site_name = str(part["site_name"].dropna().iloc[0]) if "site_name" in part and part["site_name"].notna().any() else site
        name = f"Site {site_name}: change in jobs within 30 min by bike"
        group = context_layer(m, part.assign(fill=colours.to_numpy()), config, name, fields=fields, small=hidden, show=i == 0,
                              options={"title": "name", "fill": "fill", "style": AREA_STYLE, "tipLabel": "Change in jobs by bike",
                                       "tipValue": "f_jobs_bike_30_change"})
        Legend(m, group, legend_title("jobs_bike_30_change", name), entries).add_to(m)
    if "contains_site" in shaped.columns:
        hosts = shaped[shaped["contains_site"].fillna(False).astype(bool)]
        if len(hosts) and "status_after" in hosts.columns:
            hidden = small.loc[hosts.index]
            colours = categorical_colours(hosts["status_after"], hidden, STATUS_COLOURS)
            group = context_layer(m, hosts.assign(fill=colours.to_numpy()), config, "Areas receiving a site: status after",
                                  fields=fields, small=hidden, show=False,
                                  options={"title": "name", "fill": "fill", "style": {**AREA_STYLE, "weight": 3},
                                           "tipLabel": "Share social family after", "tipValue": "f_share_social_family_after"})
            Legend(m, group, "Status after the development (indicative)", STATUS_ENTRIES).add_to(m)


def _development_comparison(summary: pd.DataFrame, small: pd.Series, config: Config) -> str:
    """Per site, as written by the scenarios stage (scenarios_development_summary.parquet, in rank order): the
    receiving area's mix and status before and after and the mean change in job access; formatting only."""
    label = suppressed_label(config)
    blocks = []
    for rec, hidden in zip(summary.to_dict("records"), small.to_numpy(), strict=True):
        status_b = label if hidden else STATUS_LABELS.get(str(rec["status_before"]), NO_DATA).split(" (")[0]
        status_a = label if hidden else STATUS_LABELS.get(str(rec["status_after"]), NO_DATA).split(" (")[0]
        site = rec["site_name"] if pd.notna(rec["site_name"]) else rec["site_id"]
        area = f"in {rec['area_name']}" if pd.notna(rec["area_name"]) else "in no housing area (changes no area's mix)"
        rank = f"rank {rec['rank']:.0f}" if pd.notna(rec["rank"]) else "not ranked"
        blocks.append(
            f'<div class="sb-site-block" data-site-id="{esc(rec["site_id"])}"><b>{esc(site)}</b> ({rank}), {esc(area)}'
            "<table><tr><th></th><th>Before</th><th>After</th></tr>"
            f"<tr><td>Social family share</td><td>{_fmt(rec['share_social_family_before'], '{:.1%}')}</td>"
            f"<td>{_fmt(rec['share_social_family_after'], '{:.1%}')}</td></tr>"
            f"<tr><td>Status</td><td>{esc(status_b)}</td><td>{esc(status_a)}</td></tr>"
            f"<tr><td>Dwellings to add (gap)</td><td>{_fmt(rec['gap_add_dwellings_before'], '{:,.0f}')}</td>"
            f"<td>{_fmt(rec['gap_add_dwellings_after'], '{:,.0f}')}</td></tr>"
            f"<tr><td>Jobs by bike, mean change per resident</td>"
            f"<td colspan=2>{_fmt(rec['mean_jobs_bike_30_change'], '{:+,.0f}')}</td></tr>"
            "</table></div>")
    table = ("<h2>Sites against the baseline</h2><div id='sb-comparison'>" + "".join(blocks) + "</div>"
             "<p class='sb-meta'>Before and after for the housing area the site lies in; dwellings to add (gap): "
             "only for transformation (omdannelse) areas, to reach the 40% cap; jobs by bike: the change in jobs "
             "within 30 minutes by bike, averaged over the residents of every housing area (the figure the "
             "ranking uses).</p>")
    names = summary["site_name"].where(summary["site_name"].notna(), summary["site_id"]).astype(str)
    return table + bar_chart(names, summary["share_social_family_change"], "{:+.1%}", summary["rank"],
                             "Change in the receiving area's social family share (percentage points)")
