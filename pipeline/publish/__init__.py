"""Stage publish: the areas tables and the five map pages, built into a fresh release and swapped in whole.

Pages are self-contained and offline (Leaflet, jQuery and Font Awesome copied from the XStatic packages into
maps/assets/), show a legend per indicator layer, tooltips and popups, the data date and run id, and never a
person-based figure of a small area (CONTRACT 7). See docs/publishing.md and docs/planners-guide.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline._log import log
from pipeline._progress import track
from pipeline.config import Config
from pipeline.publish.assets import copy_assets
from pipeline.publish.i18n import speaking
from pipeline.publish.inputs import load_inputs
from pipeline.publish.pages import MAP_BUILDERS, build_index, page_language
from pipeline.publish.profiles import build_profiles
from pipeline.publish.release import DATA, MAPS, TABLE_FILES, release, rollback
from pipeline.publish.tables import area_table_from_inputs, write_tables

__all__ = ["build_release", "release", "rollback", "run", "run_warnings"]


def run_warnings(config: Config) -> list[str]:
    """The warnings the earlier stages of this run recorded in their stamps, without repeats."""
    warnings: list[str] = []
    for path in sorted((config.processed_dir / ".stamps").glob("*.json")):
        if path.stem in ("publish", "hashes"):
            continue
        try:
            found = json.loads(path.read_text()).get("warnings", [])
        except (OSError, ValueError, AttributeError):
            continue
        warnings += [str(w) for w in found if isinstance(w, str)]
    return list(dict.fromkeys(warnings))


def build_release(config: Config, folder: Path) -> list[Path]:
    """Write the tables into folder/data and the pages with their assets into folder/maps."""
    inputs = load_inputs(config)
    maps_dir, data_dir = Path(folder) / MAPS, Path(folder) / DATA
    written = write_tables(area_table_from_inputs(inputs, config), data_dir, config)
    copy_assets(maps_dir)
    lang = page_language(config)
    with speaking(lang):
        written.append(build_index(inputs, config, maps_dir, run_warnings(config), lang=lang))
        for build in track(MAP_BUILDERS, "Publish: pages", unit="pages"):
            written.append(build(inputs, config, maps_dir, lang=lang))
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in written if p.suffix == ".html")
    log.info("Built %d pages (%s)", sum(p.suffix == ".html" for p in written), sizes)
    written += build_profiles(inputs, config, maps_dir)
    return written


def run(config: Config) -> list[Path]:
    """Build the tables and pages into a staging release and swap it in atomically; return the published paths."""
    target = release(config, lambda folder: build_release(config, folder))
    log.info("Published to %s", target)
    return [config.processed(name) for name in TABLE_FILES] + sorted(config.maps_dir.glob("*.html"))
