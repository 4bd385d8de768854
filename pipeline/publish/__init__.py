"""Stage publish: the areas tables and the six map pages, built into a fresh release and swapped in whole.

Pages are self-contained and offline (Leaflet, jQuery and Font Awesome copied from the XStatic packages into
maps/assets/), show a legend per indicator layer, tooltips and popups, the data date and run id, and never a
person-based figure of a small area (CONTRACT 7), in the configured language (`language: da | en`, every
text from the catalogues in locale/, figures through Babel). The pages are built by pipeline/publish/pages/
(one module per page over a panel kit). See docs/publishing.md and docs/planners-guide.md.

Its datasets, as the catalogue (pipeline/core/catalogue.py) declares them:
Reads: housing_areas, parcels, schools, school_districts, jobs, green_areas, streets, stations, candidate_sites,
plan_projects, land_cover, areas_mix, areas_mix_history, segregation, school_districts_mix, municipality_mix,
areas_access, municipality_access, green_nature_friendly, scenarios_school_sites, scenarios_school_catchments,
scenarios_school_summary, scenarios_development, scenarios_development_summary, scenarios_ranking,
districting_units, districting_plans, districting_summary, districting_schools, districting_changes,
plan_trajectory, plan_rehousing, plan_projects_effect.
Writes: areas, areas_gpkg, areas_csv, areas_dictionary, page_index, page_social_balance, page_accessibility,
page_school_sites, page_urban_development, page_plan, page_area_profiles, page_kort_fortalt.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.log import log
from pipeline.core.progress import track
from pipeline.publish.assets import copy_assets
from pipeline.publish.beside import beside
from pipeline.publish.figures import figures_of
from pipeline.publish.i18n import speaking
from pipeline.publish.inputs import load_inputs
from pipeline.publish.pages import MAP_BUILDERS, build_index, page_language
from pipeline.publish.privacy import warning_for_page
from pipeline.publish.profiles import build_profiles
from pipeline.publish.release import DATA, MAPS, TABLE_FILES, release, rollback
from pipeline.publish.summary.municipality import build_kort_fortalt
from pipeline.publish.tables import area_table_from_inputs, write_tables

# MAP_BUILDERS from this one on are built beside this process with the profiles (beside.py): on the demo the
# index, social-balance and accessibility pages take about as long as school-sites, urban-development and the
# profiles (0.64 against 0.75 s, 2026-11-30).
BESIDE_FROM = 2

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
    figures = figures_of(inputs, config, lang)  # every shown figure's value, text and suppression, once (figures.py)

    def later_pages() -> list[Path]:
        """The pages built beside this process: the school-sites and urban-development pages and the profiles."""
        pages = [build(inputs, config, maps_dir, lang=lang) for build in MAP_BUILDERS[BESIDE_FROM:]]
        return pages + build_profiles(inputs, config, maps_dir) + [build_kort_fortalt(inputs, config, maps_dir, lang=lang)]

    with speaking(lang), beside(later_pages) as built_beside:
        shown = [warning_for_page(w, figures.minimum) for w in run_warnings(config)]  # no small person counts
        written.append(build_index(inputs, config, maps_dir, shown, lang=lang))
        for build in track(MAP_BUILDERS[:BESIDE_FROM], "Publish: pages", unit="pages"):
            written.append(build(inputs, config, maps_dir, lang=lang))
        written += built_beside()
    pages = [p for p in written if p.suffix == ".html" and p.parent == maps_dir]
    log.info("Built %d pages (%s) and %d profile pages", len(pages),
             ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in pages),
             sum(p.suffix == ".html" and p.parent != maps_dir for p in written))
    return written


def run(config: Config) -> list[Path]:
    """Build the tables and pages into a staging release and swap it in atomically; return the published paths."""
    target = release(config, lambda folder: build_release(config, folder))
    log.info("Published to %s", target)
    return [config.processed(name) for name in TABLE_FILES] + sorted(config.maps_dir.glob("*.html"))
