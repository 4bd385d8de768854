"""The scripts, stylesheets and fonts the pages load, copied from the installed XStatic packages (no CDN)."""

from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.font_awesome as font_awesome
import xstatic.pkg.jquery as jquery
import xstatic.pkg.leaflet as leaflet

ASSETS_DIR = "assets"

# Per folder under assets/: the XStatic package folder it is copied from and the files taken (same relative paths).
_FILES = {
    "leaflet": (leaflet.BASE_DIR, ("leaflet.js", "leaflet.css", "images/layers.png", "images/layers-2x.png",
                                   "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png")),
    "jquery": (jquery.BASE_DIR, ("jquery.min.js",)),
    "fontawesome": (font_awesome.BASE_DIR, ("css/fontawesome.min.css", "css/solid.min.css", "webfonts/fa-solid-900.woff2",
                                            "webfonts/fa-solid-900.ttf", "LICENSE.txt")),
}

# What every page's <head> loads, relative to the page (replaces folium's Map.default_js / default_css).
PAGE_JS = [
    ("leaflet", f"{ASSETS_DIR}/leaflet/leaflet.js"),
    ("jquery", f"{ASSETS_DIR}/jquery/jquery.min.js"),
]
PAGE_CSS = [
    ("leaflet_css", f"{ASSETS_DIR}/leaflet/leaflet.css"),
    ("fontawesome_css", f"{ASSETS_DIR}/fontawesome/css/fontawesome.min.css"),
    ("fontawesome_solid_css", f"{ASSETS_DIR}/fontawesome/css/solid.min.css"),
]


def copy_assets(maps_dir: Path) -> list[Path]:
    """Copy Leaflet, jQuery and Font Awesome (solid) beside the pages, into maps/assets/."""
    written = []
    for folder, (base, names) in _FILES.items():
        for name in names:
            dest = Path(maps_dir) / ASSETS_DIR / folder / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(base) / name, dest)
            written.append(dest)
    return written
