"""The map's symbols, declared once: the options each context layer is drawn with (page.js sbLayer), which the
index's map key draws again with the same code (page.js sbSymbol), so a key's symbol is the map's."""

from __future__ import annotations

HOUSING_AREAS = {"style": {"color": "#444444", "weight": 1, "fillColor": "#9ecae1", "fillOpacity": 0.45}}
GREEN_AREAS = {"style": {"color": "#2d6a4f", "weight": 1, "fillColor": "#74c69d", "fillOpacity": 0.5}}
SCHOOL_DISTRICTS = {"style": {"color": "#6a3d9a", "weight": 2, "fill": True, "fillOpacity": 0.03, "dashArray": "6 4"}}
JOB_SITES = {"style": {"color": "#7a4f01", "weight": 1, "fillColor": "#f4a261", "fillOpacity": 0.7}, "circle": True}
PARCELS = {"style": {"radius": 2, "color": "#333333", "weight": 0, "fillColor": "#333333", "fillOpacity": 0.6},
           "circle": True}
SCHOOLS = {"icon": "fa-school"}
STATIONS = {"icon": "fa-train", "iconClass": "sb-station"}
# a site is a point (the icon) or an area (the style, in the icon's red)
CANDIDATE_SITES = {"icon": "fa-location-dot", "iconClass": "sb-site",
                   "style": {"color": "#c1121f", "weight": 2, "fillColor": "#c1121f", "fillOpacity": 0.25}}


def drawn(symbol: dict) -> dict:
    """A symbol's options as sbLayer takes them (`circle` only tells the key to draw a circle)."""
    return {k: v for k, v in symbol.items() if k != "circle"}
