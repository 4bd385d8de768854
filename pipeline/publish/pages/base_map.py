"""The offline base map every map page carries: the municipality's own streets, green areas, stations and area
names, drawn under the data when the tiles cannot load (no internet) and selectable always; and the print fit
(the map framed on the whole municipality when the page is printed).

The base is drawn from the processed layers the pages already read, simplified so a page stays within
publish.page_size_budget_bytes: streets as one light grey multi-line (joined end to end, simplified with a
tolerance doubled from publish.simplify_tolerance_m until at most MAX_BASE_VERTICES vertices remain), green areas
as light green polygons likewise, stations with the stations layer's own symbol, and each housing area's name at
its representative point, shown from BASE_LABEL_ZOOM in (page.js sbBase). It is a base layer of the layer control
(a radio beside the tiles), in a pane under every data layer.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from pipeline.core.config import Config
from pipeline.publish.geojson import MAP_CRS
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import GeoData, PageElement, bounds_of, safe_json
from pipeline.publish.pages.symbols import STATIONS

# At most this many vertices of streets, and of green areas, on a page (about 20 bytes each): the base of a
# municipality at 50 times the demo's size stays well within the page budget.
MAX_BASE_VERTICES = 20_000
# The base's simplification stops at this tolerance (m); beyond it the shortest lines are left out instead.
MAX_TOLERANCE_M = 200.0
# The area names show from this zoom in (a district's streets readable), not over the whole municipality.
BASE_LABEL_ZOOM = 14
# The base's look (page.js sbBase): streets light grey, green areas light green, stations as on their layer.
BASE_STYLE = {"street": {"color": "#b8b8b8", "weight": 1.2, "opacity": 1},
              "green": {"color": "#a9d3a0", "weight": 0.5, "fillColor": "#d4ecd0", "fillOpacity": 1},
              "station": STATIONS, "labelZoom": BASE_LABEL_ZOOM}
# A popup shows at most this many figures (page.js sbPopupRows); the rest are in the profile and the layer tables.
MAX_POPUP_FIGURES = 12
# The frames the whole municipality is framed by when a page is printed.
EXTENT_LAYERS = ("housing_areas", "parcels", "school_districts", "streets", "green_areas")


def simplified(geometry: np.ndarray, tolerance_m: float, max_vertices: int = MAX_BASE_VERTICES) -> np.ndarray:
    """The geometries simplified from tolerance_m, the tolerance doubled until at most max_vertices remain; when
    simplifying no longer helps (every line down to its two ends), the shortest parts are left out."""
    tolerance = max(float(tolerance_m), 0.1)
    drawn = shapely.simplify(geometry, tolerance, preserve_topology=False)
    count = shapely.get_num_coordinates(drawn).sum()
    while count > max_vertices and tolerance < MAX_TOLERANCE_M:
        tolerance *= 2
        drawn = shapely.simplify(geometry, tolerance, preserve_topology=False)
        count, before = shapely.get_num_coordinates(drawn).sum(), count
        if count >= before:
            break
    if count <= max_vertices:
        return drawn
    parts, owner = shapely.get_parts(drawn, return_index=True)
    order = np.argsort(-shapely.length(parts), kind="stable")  # the longest first
    kept = order[np.cumsum(shapely.get_num_coordinates(parts)[order]) <= max_vertices]
    kept.sort()
    rebuilt = shapely.multilinestrings(parts[kept], indices=owner[kept]) if len(kept) else None
    if rebuilt is None or shapely.get_type_id(parts[0]) not in (1, 2):  # polygons: keep the largest whole
        areas = shapely.area(drawn)
        keep = np.argsort(-areas, kind="stable")
        keep = keep[np.cumsum(shapely.get_num_coordinates(drawn)[keep]) <= max_vertices]
        return drawn[np.sort(keep)]
    out = np.array([None] * len(drawn), dtype=object)
    out[: len(rebuilt)] = rebuilt  # one multi-line per input geometry, by its index
    return out


def base_frame(inputs: Inputs, config: Config) -> gpd.GeoDataFrame | None:
    """The base's features in the working CRS: `kind` street, green, station or label, and `name`."""
    tolerance = float(config["publish"].get("simplify_tolerance_m") or 1.0)
    parts = []
    streets = inputs.get("streets")
    if streets is not None and len(streets):
        lines = shapely.get_parts(streets.geometry.dropna().to_numpy())
        merged = shapely.line_merge(shapely.multilinestrings(lines))
        parts.append(gpd.GeoDataFrame({"kind": ["street"], "name": [""]},
                                      geometry=simplified(np.array([merged]), tolerance), crs=streets.crs))
    green = inputs.get("green_areas")
    if green is not None and len(green):
        shapes = simplified(green.geometry.dropna().to_numpy(), tolerance)
        parts.append(gpd.GeoDataFrame({"kind": "green", "name": ""}, index=range(len(shapes)), geometry=shapes,
                                      crs=green.crs))
    stations = inputs.get("stations")
    if stations is not None and len(stations):
        names = stations["name"].astype(object).where(stations["name"].notna(), "") if "name" in stations else ""
        parts.append(gpd.GeoDataFrame({"kind": "station", "name": names}, geometry=stations.geometry.centroid,
                                      crs=stations.crs))
    areas = inputs.get("housing_areas")
    if areas is not None and len(areas) and "name" in areas.columns:
        areas = areas[areas.geometry.notna() & areas["name"].notna()]
        parts.append(gpd.GeoDataFrame({"kind": "label", "name": areas["name"].astype(str)},
                                      geometry=areas.geometry.representative_point(), crs=areas.crs))
    parts = [p[~p.geometry.is_empty & p.geometry.notna()] for p in parts]
    parts = [p.to_crs(parts[0].crs) for p in parts if len(p)]
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def base_geojson(frame: gpd.GeoDataFrame, config: Config) -> dict:
    """The base's features as GeoJSON in EPSG:4326, coordinates rounded to publish.coordinate_decimals. Already
    simplified by base_frame: not simplified again with the topology kept (geojson.display_geometry), which takes
    minutes on one multi-line of a large municipality's streets."""
    grid = 10.0 ** -int(config["publish"]["coordinate_decimals"])
    shapes = shapely.set_precision(frame.geometry.to_crs(MAP_CRS).array, grid)
    texts = shapely.to_geojson(shapes)
    features = [{"type": "Feature", "properties": {"kind": kind, "name": name}, "geometry": json.loads(text)}
                for kind, name, text in zip(frame["kind"], frame["name"], texts, strict=True)
                if text is not None and '"coordinates":[]' not in text]
    return {"type": "FeatureCollection", "features": features}


class BaseLayer(PageElement):
    """The offline base drawn in its own pane under the data (page.js sbBase), in its FeatureGroup."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "sbBase({{ this.map.get_name() }}, {{ this._parent.get_name() }}, {{ this.data.get_name() }}, "
                         "{{ this.style }});{% endmacro %}")

    def __init__(self, m: folium.Map, data: GeoData):
        super().__init__()
        self._name = "sb_base"
        self.map, self.data = m, data
        self.style = safe_json(BASE_STYLE)


class PrintFit(PageElement):
    """When the page is printed the map is resized to the sheet and framed on the whole municipality (page.js
    sbPrintFit), and put back as it was after printing."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "sbPrintFit({{ this._parent.get_name() }}, {{ this.bounds }});{% endmacro %}")

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "sb_print_fit"
        self.bounds = safe_json(bounds)


class PopupWords(PageElement):
    """How many figures a popup shows and what it says of the others, and the hint over a table that scrolls
    sideways, in the page language (page.js SB_POPUP)."""

    _template = Template("{% macro script(this, kwargs) %}SB_POPUP = {{ this.words }};{% endmacro %}")

    def __init__(self, lang: Language):
        super().__init__()
        self._name = "sb_popup_words"
        self.words = safe_json({"max": MAX_POPUP_FIGURES, "more": lang("{n} more figures in the profile and the panel's tables"),
                                "scroll": lang("Scroll sideways for more columns \u2192")})


def add_base(m: folium.Map, inputs: Inputs, config: Config, lang: Language) -> None:
    """The offline base map as a base layer (shown when the page has no tiles, else when they fail to load), the
    print fit on the municipality's extent and the popups' words. Call right after new_map."""
    m.add_child(PopupWords(lang))
    frame = inputs.derived.get(("base_map",))
    if frame is None:
        frame = base_frame(inputs, config)
        inputs.derived[("base_map",)] = frame
    if frame is not None:
        data = GeoData(base_geojson(frame, config), [], title="name")
        m.add_child(data)
        tiles = str(config["publish"].get("tiles") or "none").lower() != "none"
        group = folium.FeatureGroup(name=lang("Base map drawn from the municipality's layers (offline)"),
                                    overlay=False, show=not tiles)
        group.add_child(BaseLayer(m, data))
        m.add_child(group)
    bounds = bounds_of(*(inputs.get(n) for n in EXTENT_LAYERS))
    if bounds:
        m.add_child(PrintFit(bounds))
