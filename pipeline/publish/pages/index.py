"""The landing page (index.html): every ingested layer on one map, links to the pages, data date, run id,
the tables, the map key and the run's warnings."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.publish.catalogue import TENURES
from pipeline.publish.figures import figures_of
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import add_layer, add_panel, bounds_of, extent_bounds, finish, new_map, save_page
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.kit import (
    PAGES,
    absent_layers_notice,
    in_page_language,
    missing_notice,
    panel_head,
    render,
)
from pipeline.publish.pages.layers import (
    DISTRICT_FIELDS,
    add_green,
    add_jobs,
    add_schools,
    context_layer,
    district_frame,
    embed_areas,
)
from pipeline.publish.pages.symbols import (
    CANDIDATE_SITES,
    GREEN_AREAS,
    HOUSING_AREAS,
    JOB_SITES,
    PARCELS,
    SCHOOL_DISTRICTS,
    SCHOOLS,
    STATIONS,
    drawn,
)
from pipeline.publish.tables import area_table_from_inputs

# The index page shows at most this many parcel dots (about 150 bytes each): more parcels are shown as a
# systematic sample (every n-th by parcel_id), so a whole country's page stays within the size budget.
MAX_PARCEL_DOTS = 5_000
# More streets than this are drawn as one line feature per walk/bike combination (no per-street tooltip),
# joined where they meet end to end and simplified (tolerance doubled from publish.simplify_tolerance_m) until
# at most MAX_STREET_VERTICES vertices remain (about 20 bytes each): a region's streets fit the page budget.
MAX_STREET_FEATURES = 5_000
MAX_STREET_VERTICES = 100_000
# What the index map's symbols mean (the options its layers draw with, symbols.py; message id).
SYMBOL_KEY = ((HOUSING_AREAS, "Housing areas"), (GREEN_AREAS, "Green areas"), (SCHOOL_DISTRICTS, "School districts (dashed)"),
              (JOB_SITES, "Job sites, sized by jobs"), (PARCELS, "Parcels (switch on in the layer list)"),
              (SCHOOLS, "School"), (STATIONS, "Station"), (CANDIDATE_SITES, "Candidate site"))


@in_page_language
def build_index(inputs: Inputs, config: Config, maps_dir: Path, warnings: list[str], *, lang: Language) -> Path:
    """The landing page: every ingested layer on one map, links to the pages, data date, run id, warnings."""
    page = PAGES[0]
    table = area_table_from_inputs(inputs, config)
    frames = [inputs.get(n) for n in ("housing_areas", "parcels", "school_districts", "jobs", "green_areas")]
    m = new_map(config, bounds_of(*frames) or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    if len(table) and table.geometry.notna().any():
        data = embed_areas(m, figures_of(inputs, config, lang), config, lang, {})
        add_layer(m, data, lang("Housing areas"), {**drawn(HOUSING_AREAS),
                                                   "tipLabel": lang("Dwellings"),
                                                   "tipValue": "f_dwellings" if "dwellings" in table.columns else None})
    districts, prepared = district_frame(inputs, config, lang)
    context_layer(m, districts, config, lang("School districts"), fields=DISTRICT_FIELDS, prepared=prepared,
                  options=drawn(SCHOOL_DISTRICTS))
    add_green(m, inputs, config, lang)
    streets = inputs.get("streets")
    if streets is not None and len(streets) > MAX_STREET_FEATURES:
        streets = merged_streets(streets, float(config["publish"].get("simplify_tolerance_m") or 1.0), lang)
    context_layer(m, streets, config, lang("Streets"), fields=["street_id", "walk", "bike"],
                  options={"style": {"color": "#555555", "weight": 1.2, "opacity": 0.8}, "popup": False})
    _add_parcel_dots(m, inputs.get("parcels"), config, lang)
    add_jobs(m, inputs, config, lang)
    add_schools(m, inputs, config, lang)
    context_layer(m, inputs.get("stations"), config, lang("Stations"), fields=["name", "station_id"],
                  options=drawn(STATIONS))
    context_layer(m, inputs.get("candidate_sites"), config, lang("Candidate sites"),
                  fields=["name", "site_id", "kind", "capacity", "closes_school_id",
                          *[f"new_dwellings_{t}" for t in TENURES], "new_jobs"],
                  options=drawn(CANDIDATE_SITES))
    finish(m)
    ingest_missing = [r for n, r in inputs.missing.items() if n == "housing_areas"]
    body = [panel_head(page, config, lang, back=False),
            render("index_panel.html", lang, pages=PAGES[1:], suppression=figures_of(inputs, config, lang).note())]
    if ingest_missing:
        body.append(missing_notice("Input layers", ingest_missing, lang))
    body.append(absent_layers_notice(inputs, config, lang))
    body.append(render("index_key.html", lang, symbols=SYMBOL_KEY))
    body.append(render("index_warnings.html", lang, warnings=warnings, count=other_text(lang, "count", len(warnings))))
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _add_parcel_dots(m, parcels: gpd.GeoDataFrame | None, config: Config, lang: Language) -> None:
    """Parcels as dots with their dwellings (off by default; a systematic sample beyond MAX_PARCEL_DOTS)."""
    if parcels is None or not len(parcels):
        return
    every = -(-len(parcels) // MAX_PARCEL_DOTS)  # a systematic sample keeps a national page within its budget
    dots = parcels.sort_values("parcel_id", kind="stable").iloc[::every].copy() if every > 1 else parcels.copy()
    dots["geometry"] = dots.geometry.representative_point()
    tenure_cols = [c for c in dots.columns if c.startswith("dwellings_")]
    # the parcel's dwellings of every tenure, as the label of its dot (a sum over its own columns, no indicator);
    # unknown where any tenure's count is unknown, as an area's dwellings (never 0 for unknown)
    dots["dwellings"] = (dots[tenure_cols].apply(pd.to_numeric).astype("float64").sum(axis=1, min_count=len(tenure_cols))
                         if tenure_cols else np.nan)
    dots["title"] = dots["parcel_id"].astype(str).map(lambda i: lang("Parcel {id}", id=i))
    label = lang("Parcels (dots)") if every == 1 else lang("Parcels (dots, 1 in {n})", n=other_text(lang, "count", every))
    context_layer(m, dots, config, label, fields=["dwellings"], show=False,
                  options={"title": "title", **drawn(PARCELS),
                           "tipLabel": lang("Dwellings"), "tipValue": "f_dwellings", "popup": False})


def merged_streets(streets: gpd.GeoDataFrame, tolerance_m: float = 1.0, lang: Language | None = None) -> gpd.GeoDataFrame:
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
        count = lang("{n} streets", n=other_text(lang, "count", len(members))) if lang else f"{len(members):,} streets"
        rows.append({"street_id": count, **values, "geometry": shapely.line_merge(shapely.multilinestrings(parts))})
    merged = gpd.GeoDataFrame(rows, geometry="geometry", crs=streets.crs)
    lines = merged.geometry.to_numpy()
    tolerance = max(float(tolerance_m), 0.1)
    drawn = shapely.simplify(lines, tolerance, preserve_topology=False)
    while shapely.get_num_coordinates(drawn).sum() > MAX_STREET_VERTICES:
        tolerance *= 2
        drawn = shapely.simplify(lines, tolerance, preserve_topology=False)
    return merged.set_geometry(drawn)
