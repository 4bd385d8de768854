"""The scripts, stylesheets and fonts the pages load, copied from the installed XStatic packages (no CDN)."""

from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.font_awesome as font_awesome
import xstatic.pkg.jquery as jquery
import xstatic.pkg.leaflet as leaflet

ASSETS_DIR = "assets"

# (source package folder, file inside it, path under assets/)
_FILES = (
    (leaflet.BASE_DIR, "leaflet.js", "leaflet/leaflet.js"),
    (leaflet.BASE_DIR, "leaflet.css", "leaflet/leaflet.css"),
    (leaflet.BASE_DIR, "images/layers.png", "leaflet/images/layers.png"),
    (leaflet.BASE_DIR, "images/layers-2x.png", "leaflet/images/layers-2x.png"),
    (leaflet.BASE_DIR, "images/marker-icon.png", "leaflet/images/marker-icon.png"),
    (leaflet.BASE_DIR, "images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
    (leaflet.BASE_DIR, "images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
    (jquery.BASE_DIR, "jquery.min.js", "jquery/jquery.min.js"),
    (font_awesome.BASE_DIR, "css/fontawesome.min.css", "fontawesome/css/fontawesome.min.css"),
    (font_awesome.BASE_DIR, "css/solid.min.css", "fontawesome/css/solid.min.css"),
    (font_awesome.BASE_DIR, "webfonts/fa-solid-900.woff2", "fontawesome/webfonts/fa-solid-900.woff2"),
    (font_awesome.BASE_DIR, "webfonts/fa-solid-900.ttf", "fontawesome/webfonts/fa-solid-900.ttf"),
    (font_awesome.BASE_DIR, "LICENSE.txt", "fontawesome/LICENSE.txt"),
)

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
    for base, name, target in _FILES:
        dest = Path(maps_dir) / ASSETS_DIR / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(base) / name, dest)
        written.append(dest)
    return written
