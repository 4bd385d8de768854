"""The accessibility page: a classed layer per access indicator, with schools, job sites and green areas as
context, and a plain notice when distances are straight lines rather than along streets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import indicator, legend_title
from pipeline.publish.classes import classify
from pipeline.publish.figures import figures_of
from pipeline.publish.glossary import method_text, other_text
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import add_panel, bounds_of, extent_bounds, finish, new_map, save_page
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.kit import (
    PAGES,
    absent_layers_notice,
    in_page_language,
    missing,
    missing_notice,
    panel_head,
    render,
)
from pipeline.publish.pages.land_cover_map import add_land_cover
from pipeline.publish.pages.layers import (
    add_filled_layer,
    add_green,
    add_jobs,
    add_schools,
    categorical_colours,
    embed_areas,
)
from pipeline.publish.tables import area_table_from_inputs

ACCESS_LAYERS = ("school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport", "jobs_walk_15", "jobs_bike_30",
                 "job_access_index", "job_access_gravity", "green_dist_m", "share_residents_green_300",
                 "green_m2_per_resident_1km", "canopy_share", "station_dist_m",
                 # public transport (CONTRACT 6d): shown where a GTFS feed was given
                 "jobs_transit_45", "job_access_transit_index",
                 # green structure (CONTRACT 6c, where land_cover and protected_nature are given)
                 "share_natural_cover", "share_sealed", "effective_mesh_size_ha", "protected_nature_dist_m")
TRANSIT_LAYERS = ("jobs_transit_45", "job_access_transit_index")  # no layer without a feed
CANOPY_COLOURS = {"yes": "#31a354", "no": "#fdae6b"}


@in_page_language
def build_accessibility(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """A classed layer per access indicator, with schools, job sites and green areas as context."""
    page = PAGES[2]
    table = area_table_from_inputs(inputs, config)
    access = inputs.get("areas_access")
    m = new_map(config, bounds_of(table) or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    body = [panel_head(page, config, lang)]
    if access is None or not table.geometry.notna().any():
        body.append(missing_notice("Accessibility", missing(inputs, "areas_access", "housing_areas"), lang))
    else:
        figures = figures_of(inputs, config, lang)
        small = figures["areas"].hidden
        classed = {c: classify(table[c], small, config, c) for c in ACCESS_LAYERS
                   if c in table.columns and (c not in TRANSIT_LAYERS or table[c].notna().any())}
        fills = {c: colours for c, (colours, _) in classed.items()}
        canopy = "meets_canopy_30" in table.columns
        if canopy:
            flags = table["meets_canopy_30"].map({True: "yes", False: "no"})
            fills["meets_canopy_30"] = categorical_colours(flags, pd.Series(False, index=table.index), CANOPY_COLOURS)
        data = embed_areas(m, figures, config, lang, fills)
        for i, (column, (_, entries)) in enumerate(classed.items()):
            add_filled_layer(m, data, column, lang(indicator(column).label), entries, show=i == 0,
                             legend=legend_title(column, lang=lang))
        if canopy:
            add_filled_layer(m, data, "meets_canopy_30", lang(indicator("meets_canopy_30").label),
                             [(colour, lang(flag)) for flag, colour in CANOPY_COLOURS.items()])
        body.append(_distance_method_note(table, config, lang))
        body.append(absent_layers_notice(inputs, config, lang, "access"))
        body.append(render("access_means.html", lang, suppression=figures.note()))
    add_green(m, inputs, config, lang, show=False)
    add_land_cover(m, inputs.rasters.get("land_cover"), int(config["publish"]["land_cover_max_px"]), lang)
    add_jobs(m, inputs, config, lang, show=False)
    add_schools(m, inputs, config, lang, show=False)
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _distance_method_note(table: pd.DataFrame, config: Config, lang: Language) -> str:
    """Say plainly when distances are straight lines times the detour factor instead of network distances."""
    if "distance_method" not in table.columns:
        return ""
    methods = table["distance_method"].dropna().astype(str)
    fallback = methods[~methods.str.lower().str.startswith("network")]
    factor = (config.get("access") or {}).get("detour_factor", "")
    return render("access_distance_method.html", lang, fallback=other_text(lang, "count", len(fallback)) if len(fallback) else None,
                  total=other_text(lang, "count", len(methods)),
                  factor=other_text(lang, "detour_factor", factor) if factor != "" else "",
                  methods=", ".join(method_text(m, lang) for m in sorted(fallback.unique())))
