"""Shared folium helpers: offline page shell, embedded data, classed layers, legends, tooltips and popups.

Safety of text from the data: feature properties are embedded as JSON with <, > and & written as \\u
escapes (so no text can close the <script>), and popups and tooltips are built in the browser with
`textContent`, so a name like `<img src=x onerror=...>` is shown as text. folium's own GeoJsonTooltip and
GeoJsonPopup would put property values into `innerHTML` unescaped (folium 0.20, features.py
GeoJsonDetail), and Leaflet's layer control and folium.Tooltip take HTML: every text that reaches HTML
(layer names, legends, panels) goes through `html.escape` here.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from branca.element import Element, MacroElement
from jinja2 import Template

from pipeline.core.config import Config
from pipeline.core.log import warn
from pipeline.publish.assets import PAGE_CSS, PAGE_JS
from pipeline.publish.geojson import MAP_CRS, display_shapes, property_rows
from pipeline.publish.i18n import current

# The page's own style and script, kept as files beside the templates (loaded once, embedded in every page).
TEMPLATES_DIR = Path(__file__).parent / "templates"
PAGE_CSS_TEXT = (TEMPLATES_DIR / "page.css").read_text(encoding="utf-8")
# One helper for every data layer: properties become styles, tooltips and popups with textContent only.
PAGE_JS_TEXT = (TEMPLATES_DIR / "page.js").read_text(encoding="utf-8")
# A link under a popup's table (an area's profile page), added to page.js's sbPopup.
POPUP_LINK_JS_TEXT = (TEMPLATES_DIR / "popup_link.js").read_text(encoding="utf-8")
# How a page prints (A4 landscape: map, legend, panel, source and date; no controls), kept apart from page.css.
PRINT_CSS_TEXT = (TEMPLATES_DIR / "print.css").read_text(encoding="utf-8")


def safe_json(value) -> str:
    """JSON that can sit inside a <script> element: <, >, & and line separators written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def esc(text) -> str:
    """HTML-escape a text from the data (or anything else) for the page markup."""
    return html.escape("" if text is None else str(text), quote=True)


class RawText(Element):
    """Text put into the page as it is. branca wraps every rendered macro and every added snippet in a new
    jinja2 Template, compiling it (a layer's data: megabytes lexed, a fifth of publishing) and reading any
    "{{" in a name from the data as template syntax; this one is written out unchanged."""

    def __init__(self, text: str):
        super().__init__()
        # a compiled template drops one trailing newline (jinja2's keep_trailing_newline=False): the same here
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, **kwargs) -> str:
        """The text, unchanged."""
        return self.text


class PageElement(MacroElement):
    """A MacroElement whose rendered header, html and script are put into the page as RawText (not compiled
    again as templates); otherwise rendered as branca's MacroElement.render does."""

    def render(self, **kwargs) -> None:
        """Add this element's header, html and script parts to the page, then render its children."""
        figure = self.get_root()
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                target.add_child(RawText(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class GeoData(PageElement):
    """A FeatureCollection embedded once in the page, with the popup rows its layers share."""

    _template = Template("{% macro script(this, kwargs) %}var {{ this.get_name() }} = sbData({{ this.payload }});{% endmacro %}")

    def __init__(self, geojson: dict, popup: list[list[str]], title: str = "name", link: dict | None = None,
                 shape_keys: list[bytes] | None = None):
        super().__init__()
        self._name = "sb_data"
        extra = {"link": link} if link else {}  # {label, field}: a link under the popup's table (popup_link.js)
        self.payload = safe_json({"geojson": compact_properties(geojson), "keys": property_keys(geojson),
                                  "popup": popup, "title": title, **extra})
        # which feature draws each shape (by display_shapes' key), for layers drawn on these shapes (RowsOnShapes)
        self.shape_positions = {key: i for i, key in enumerate(shape_keys or [])}


class RowsOnShapes(PageElement):
    """A layer's rows drawn on the shapes another GeoData already embeds (the areas' status in each earlier year
    on the areas' own polygons): the page holds each shape once, and page.js's sbDataOn builds the layer's
    GeoJSON from the rows and those shapes, giving what a GeoData of the same frame would."""

    _template = Template("{% macro script(this, kwargs) %}var {{ this.get_name() }} = "
                         "sbDataOn({{ this.shapes.get_name() }}, {{ this.payload }});{% endmacro %}")

    def __init__(self, shapes: GeoData, positions: list[int], columns: list[str], rows: list[list],
                 popup: list[list[str]], title: str = "name", link: dict | None = None):
        super().__init__()
        self._name = "sb_data"
        self.shapes = shapes
        extra = {"link": link} if link else {}
        # shape[i]: the feature of `shapes` whose geometry the i-th row takes; rows in `keys` order, as GeoData's
        self.payload = safe_json({"shape": positions, "keys": columns, "rows": rows, "popup": popup, "title": title,
                                  **extra})


def rows_on_shapes(frame: gpd.GeoDataFrame, config: Config, columns: list[str], popup: list[list[str]],
                   shapes: GeoData, link: dict | None = None) -> RowsOnShapes | None:
    """The frame's rows drawn on the shapes `shapes` embeds; None when a row's shape is not among them (the
    layer then embeds its own). Rows without a shape to draw are left out, as drawn_features leaves them."""
    keys, display = display_shapes(frame, config)
    drawn = [i for i, key in enumerate(keys) if key is not None and display[key] is not None]
    if any(keys[i] not in shapes.shape_positions for i in drawn):
        return None
    positions = [shapes.shape_positions[keys[i]] for i in drawn]
    return RowsOnShapes(shapes, positions, columns, property_rows(frame.iloc[drawn], columns), popup, link=link)


def property_keys(geojson: dict) -> list[str]:
    """The property names of a FeatureCollection (every feature carries the same, from one frame)."""
    features = geojson["features"]
    return list(features[0]["properties"]) if features else []


def compact_properties(geojson: dict) -> dict:
    """The FeatureCollection with each feature's properties as a list in property_keys order: the names are
    written once per layer, not once per feature (half an areas layer's bytes); sbData rebuilds the objects."""
    keys = property_keys(geojson)
    features = [{**f, "properties": [f["properties"].get(k) for k in keys]} for f in geojson["features"]]
    return {**geojson, "features": features}


class DataLayer(PageElement):
    """One styled view of a GeoData, added to its parent FeatureGroup (so the layer control toggles it)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "sbLayer({{ this.data.get_name() }}, {{ this.options }}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, data: GeoData, options: dict):
        super().__init__()
        self._name = "sb_layer"
        self.data = data
        self.options = safe_json(options)


class Legend(PageElement):
    """A theme's legend, shown while its layer is on the map (page.js sbLegend): each entry's symbol is drawn in
    the browser by the code that draws the layer's features, from the options the layer was drawn with, in the
    entry's colour. `symbol`: the options of a layer not drawn by sbLayer (an image); `extra`: rows of another
    symbol (options as sbLayer takes them, label) after the entries."""

    _template = Template("{% macro script(this, kwargs) %}\nsbLegend({{ this.map.get_name() }}, {{ this.layer.get_name() }}, "
                         "{{ this.payload }});\n{% endmacro %}")

    def __init__(self, m: folium.Map, layer, title: str, entries: list[tuple[str, str]], *,
                 symbol: dict | None = None, extra: list[tuple[dict, str]] = ()):
        super().__init__()
        self._name = "sb_legend"
        self.map, self.layer = m, layer
        payload = {"title": title, "entries": [[colour, label] for colour, label in entries]}
        if symbol:
            payload["symbol"] = symbol
        if extra:
            payload["extra"] = [[options, label] for options, label in extra]
        self.payload = safe_json(payload)  # texts set with textContent in the browser


def new_map(config: Config, bounds: list[list[float]] | None) -> folium.Map:
    """An offline folium map: local Leaflet and Font Awesome, tiles from config, our page style and helpers."""
    tiles = str(config["publish"].get("tiles") or "none")
    m = folium.Map(tiles=None if tiles.lower() == "none" else tiles, prefer_canvas=True, control_scale=False,
                   zoom_control=False)  # both added by MapWords: zoom titles translated, a metric scale
    m.default_js = list(PAGE_JS)
    m.default_css = list(PAGE_CSS)
    header = m.get_root().header
    header.add_child(RawText(f"<style>{PAGE_CSS_TEXT}</style>"), name="sb_css")
    header.add_child(RawText(f"<style>{PRINT_CSS_TEXT}</style>"), name="sb_print_css")
    header.add_child(RawText(f"<script>{PAGE_JS_TEXT}</script>"), name="sb_js")
    header.add_child(RawText(f"<script>{POPUP_LINK_JS_TEXT}</script>"), name="sb_popup_link_js")
    rows = int(config["publish"]["table_rows_per_page"])  # page.js's tables of the layers: rows shown at a time
    header.add_child(RawText(f"<script>SB_TABLE_PAGE_ROWS = {rows};</script>"), name="sb_table_rows")
    if bounds:
        m.fit_bounds(bounds)
    return m


class MapWords(PageElement):
    """Leaflet's own words in the page language: the zoom buttons (a zoom control with translated titles),
    the layer list's button, the popups' close button and the attribution's link title, which Leaflet writes
    in English; a metric scale (no feet and miles on a Danish map); the map resized to the sheet when printed.
    Added last (`finish`), after the layer control."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }}, words = {{ this.words }};
  L.control.zoom({zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  window.addEventListener("beforeprint", function () { map.invalidateSize({pan: false}); });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.getContainer().querySelector("a").title = words.leaflet;
  // the map takes keyboard focus (arrow keys pan, + and - zoom): a region named after the page
  map.getContainer().setAttribute("role", "region");
  map.getContainer().setAttribute("aria-label", words.map + ": " + document.title);
  map.getContainer().querySelectorAll(".leaflet-control-layers-toggle").forEach(function (a) {
    a.title = words.layers; a.setAttribute("aria-label", words.layers);
  });
  map.on("popupopen", function (e) {
    var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", words.close); close.title = words.close; }
  });
})();
{% endmacro %}"""
    )

    def __init__(self, lang):
        super().__init__()
        self._name = "sb_map_words"
        self.words = safe_json({"zoomIn": lang("Zoom in"), "zoomOut": lang("Zoom out"), "close": lang("Close"), "layers": lang("Layers"), "map": lang("Map"),
                                "leaflet": lang("A JavaScript library for interactive maps")})


def bounds_of(*frames: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the frames, in EPSG:4326."""
    boxes = [f.to_crs(MAP_CRS).total_bounds for f in frames if f is not None and len(f) and f.geometry.notna().any()]
    if not boxes:
        return None
    box = np.array(boxes)
    return [[float(box[:, 1].min()), float(box[:, 0].min())], [float(box[:, 3].max()), float(box[:, 2].max())]]


def extent_bounds(config: Config) -> list[list[float]]:
    """The configured extent in EPSG:4326 (where to look when there is no data yet)."""
    xmin, ymin, xmax, ymax = config["extent"]
    box = gpd.GeoSeries([shapely.box(xmin, ymin, xmax, ymax)], crs=config.crs).to_crs(MAP_CRS).total_bounds
    return [[float(box[1]), float(box[0])], [float(box[3]), float(box[2])]]


def add_layer(m: folium.Map, data: GeoData, name: str, options: dict, *, show: bool = True) -> folium.FeatureGroup:
    """A switchable layer (its name escaped for the layer control) drawing the data with these options, and
    registered for its table in the panel (LayerTable)."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    group.add_child(DataLayer(data, options))
    group.add_child(LayerTable(m, data, name, options))
    m.add_child(group)
    return group


class LayerTable(PageElement):
    """Registers a layer for its table (page.js sbTableLayer): the table is built in the browser from the
    layer's embedded data when the reader opens it, so every figure has one source and the page does not grow."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "sbTableLayer({{ this.map.get_name() }}, {{ this._parent.get_name() }}, {{ this.data.get_name() }}, "
        "{{ this.name }}, {{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(self, m: folium.Map, data: GeoData, name: str, options: dict):
        super().__init__()
        self._name = "sb_layer_table"
        self.map, self.data = m, data
        self.name = safe_json(name)  # the layer's name as text (the layer control's copy is escaped HTML)
        # what the table needs of the layer: the figure its tooltip names, and its columns when it has no popup
        self.options = safe_json({k: options[k] for k in ("tipLabel", "tipValue", "table") if options.get(k)})


class DataTable(PageElement):
    """Registers one embedded data set for a table of every figure of its popups (page.js sbTableData), shown
    when several layers draw it (the areas' indicator layers, whose own tables give their one figure)."""

    _template = Template(
        "{% macro script(this, kwargs) %}sbTableData({{ this.data.get_name() }}, {{ this.name }});{% endmacro %}"
    )

    def __init__(self, data: GeoData, name: str):
        super().__init__()
        self._name = "sb_data_table"
        self.data = data
        self.name = safe_json(name)


class LayerTables(PageElement):
    """The panel's section "The map layers as tables": one <details> per registered layer (page.js sbLayerTables),
    its words in the page language. Added last (`finish`), after every layer has registered."""

    _template = Template("{% macro script(this, kwargs) %}sbLayerTables({{ this.words }});{% endmacro %}")

    def __init__(self, lang):
        super().__init__()
        self._name = "sb_layer_tables"
        self.words = safe_json({
            "title": lang("The map layers as tables"),
            "intro": lang("Every layer of the map as a table, with the figures of its popups. Open a layer to read "
                          "it; “Show on map” zooms to a row and opens its popup."),
            "name": lang("Name"), "map": lang("Map"), "show": lang("Show on map"),
            "filter": lang("Filter rows"), "previous": lang("Previous rows"), "next": lang("Next rows"),
            "range": lang("Rows {first}–{last} of {total}"), "none": lang("No row matches the filter"),
            "one": lang("1 row"), "rows": lang("{n} rows"),
        })


def add_panel(m: folium.Map, markup: str) -> None:
    """The side panel (markup already escaped by the caller)."""
    m.get_root().html.add_child(RawText(f'<div class="sb-panel">{markup}</div>'), name="sb_panel")


class CollapseOnSmallScreens(PageElement):
    """On a small screen (sbSmallScreen in page.js) the layer control is added again collapsed behind its button,
    where the expanded list would cover the map; Leaflet reads `collapsed` only when a control is added."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (sbSmallScreen()) { {{ this.control.get_name() }}.remove(); "
        "{{ this.control.get_name() }}.options.collapsed = true; "
        "{{ this.control.get_name() }}.addTo({{ this._parent.get_name() }}); }"
        "{% endmacro %}"
    )

    def __init__(self, control: folium.LayerControl):
        super().__init__()
        self._name = "sb_collapse"
        self.control = control


def finish(m: folium.Map) -> None:
    """Add the layer control (expanded, but on small screens) last, so it lists every layer, then Leaflet's words
    in the page language and the panel's tables of the layers."""
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    m.add_child(CollapseOnSmallScreens(control))
    m.add_child(MapWords(current()))
    m.add_child(LayerTables(current()))


# folium's viewport forbids zooming (maximum-scale=1, user-scalable=no), which fails WCAG 1.4.4 (resize text).
FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1.0" />'


def allow_zoom(page: str) -> str:
    """The page with a viewport that lets the reader zoom (to 200 % and beyond)."""
    return FOLIUM_VIEWPORT.sub(VIEWPORT, page, count=1)


EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.I)


def external_resources(page: str) -> list[str]:
    """URLs of scripts, stylesheets, images or frames the page would load from another machine."""
    return EXTERNAL.findall(page) + re.findall(r"""url\(\s*["']?((?:https?:)?//[^)"']+)""", page, flags=re.I)


def save_page(m: folium.Map, path: Path, config: Config, title: str) -> Path:
    """Render the page, refuse it if it would load anything from a CDN, and warn when it is over budget."""
    m.get_root().title = esc(title)
    # <html lang>: the language the page speaks (screen readers, hyphenation, spell checkers)
    page = allow_zoom(m.get_root().render()).replace("<html>", f'<html lang="{current().code}">', 1)
    found = external_resources(page)
    if found:
        raise RuntimeError(f"the page {path.name} would load {found[0]} from the network; publish must stay offline")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    size = path.stat().st_size
    budget = int(config["publish"]["page_size_budget_bytes"])
    if size > budget:
        warn(f"The page {path.name} is {size:,} bytes, over the budget of {budget:,} (publish.page_size_budget_bytes): "
             "raise publish.simplify_tolerance_m or lower publish.coordinate_decimals")
    return path
