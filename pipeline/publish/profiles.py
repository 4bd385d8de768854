"""The profile pages: maps/areas/<area_id>.html for every housing area and maps/areas/index.html (CONTRACT 3).

A profile tells one area's story on one page that prints: its indicative status and why, each criterion's
value against its threshold, the path off the list in people, the family housing gap, the tenure mix, the
access figures beside the mean of the published areas, its school districts and the district proposals
that move its pupils, the scenarios that touch it and each criterion over the years. Data travel one way: the datasets publish read (`Inputs`), the privacy
rule of pipeline/publish/privacy.py with the catalogue's person-based columns, the texts in the page's
language (pipeline/publish/i18n.py), then one Jinja2 template per page (autoescaped). Nothing here computes
a result: every figure is a stage's; an absent dataset or column makes its section say what is missing.
The sections' contents are put together in profile_sections.py; docs/planners-guide.md explains the page.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.log import log
from pipeline.core.paths import id_file_name
from pipeline.publish.catalogue import STATUS_COLOURS
from pipeline.publish.figures import ROW, Figures, figures_of, status_reasons
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.pages.kit import data_date, page_language, run_date, run_id, shown_date
from pipeline.publish.pages.layers import district_frame
from pipeline.publish.profile_districting import districting_section
from pipeline.publish.profile_green import GREEN_FIELDS, green_section
from pipeline.publish.profile_places import (
    CATCHMENT_FIGURES,
    DISTRICT_FIGURES,
    TEXT,
    access_section,
    development_section,
    district_section,
    history_section,
    municipality_means,
    overlaps,
    school_scenario_section,
)
from pipeline.publish.profile_plan import plan_section
from pipeline.publish.profile_sections import (
    ACCESS_FIELDS,
    HISTORY,
    STATUS_TEXT,
    criteria_section,
    gap_section,
    missing_text,
    path_section,
    status_section,
    status_text,
    tenure_section,
)
from pipeline.publish.profile_shared import Shared
from pipeline.publish.profile_tables import stacked_tables
from pipeline.publish.status_text import latest_rules, rules_of
from pipeline.publish.summary.profile import summary_lookups, summary_section

PROFILE_FOLDER = "areas"
INDEX_FILE = "index.html"
TEMPLATES = Path(__file__).parent / "templates"


def profile_file(area_id: object) -> str:
    """The profile's file name in maps/areas/ (pipeline.core.paths.id_file_name: safe, bounded, never index)."""
    return id_file_name(area_id)


def profile_href(area_id: object) -> str:
    """The link to an area's profile from a page in the same folder: the file name itself (URL-safe)."""
    return profile_file(area_id)


def environment() -> jinja2.Environment:
    """The templates of the profile pages, HTML autoescaped, an unknown name an error (never a blank)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def shared_context(inputs: Inputs, config: Config, figures: Figures) -> Shared:
    """The lookups every profile uses, built once: thresholds, the municipality's averages, overlaps; the figures
    as prepared for the release (pipeline/publish/figures.py)."""
    lang, table = figures.lang, figures["areas"].values
    history = inputs.get(HISTORY)
    shared = Shared(config, lang, figures.label, inputs, figures, history=history)
    shared.means = municipality_means(inputs.get("municipality_access"), (*ACCESS_FIELDS, *GREEN_FIELDS))
    shared.rules = rules_of(table) or latest_rules(history, dict(config["mix"]))
    shared.thresholds = {k: shared.rules.get(f"{k}_threshold") for k in ("c1", "c2", "c3", "c4", "non_western")}
    reasons = status_reasons(table, lang, shared.rules)
    if reasons is not None:
        shared.reasons = dict(zip(table["area_id"].astype(str), reasons, strict=True))
    districts, prepared = district_frame(inputs, config, lang)
    if districts is not None and hasattr(districts, "geometry"):
        texts = prepared.texts(DISTRICT_FIGURES, prefix=TEXT)  # each district's figures as prepared
        shared.districts = overlaps(table, districts.assign(hidden=prepared.hidden.to_numpy(), **texts), config)
    sites, catchments = figures["school_sites"], inputs.get("scenarios_school_catchments")
    if sites is not None and catchments is not None and hasattr(catchments, "geometry"):
        schools = pd.DataFrame(sites.values.drop(columns="geometry", errors="ignore")).assign(hidden=sites.hidden.to_numpy())
        shapes = catchments[["scenario_id", "school_id", "geometry"]]
        merged = shapes.merge(schools.assign(**{ROW: range(len(schools))}), on=["scenario_id", "school_id"], how="left")
        # each catchment's figures its school's as prepared (one without them suppressed as of unknown size)
        merged = merged.assign(**sites.texts_for(merged, CATCHMENT_FIGURES).add_prefix(TEXT))
        shared.catchments = overlaps(table, merged, config)
    shared.summary = summary_lookups(inputs, config, table, shared.means, shared.thresholds, shared.districts)
    return shared


def meta(config: Config, lang: Language) -> dict[str, str]:
    """The data date, run id and data note every page shows."""
    started = run_date(config)
    return {"data_date": shown_date(data_date(config), lang), "run_id": lang(run_id(config)),
            "run_date": shown_date(started, lang) if started else "",
            "data_note": str(config.get("data_note") or "")}


def area_context(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """Everything one profile page shows, as texts and chart geometry in the page's language."""
    lang, area_id = shared.lang, str(row["area_id"])
    status = row.get("status")
    known_status = isinstance(status, str) and status in STATUS_TEXT
    status_missing = [] if "areas_mix" not in shared.inputs.missing else [missing_text(lang, shared.inputs, "areas_mix")]
    return {
        "area_id": area_id,
        "name": str(row.get("name") if pd.notna(row.get("name")) else area_id),
        "hidden": hidden,
        "suppressed": shared.label,
        "status_text": status_text(lang, status, hidden, shared.label),
        "status_colour": "#969696" if hidden or not known_status else STATUS_COLOURS.get(status, "#ffffff"),
        "status": status_section(row, hidden, shared),
        "status_missing": status_missing,
        "criteria": criteria_section(row, hidden, shared),
        "path": path_section(row, hidden, shared),
        "gap": gap_section(row, shared),
        "tenure": tenure_section(row, shared),
        "access": access_section(row, hidden, shared),
        "green": green_section(row, hidden, shared),
        "districts": district_section(area_id, shared),
        "development": development_section(area_id, hidden, shared),
        "school_scenarios": school_scenario_section(area_id, shared),
        "districting": districting_section(area_id, hidden, shared),
        "history": history_section(area_id, shared),
        "summary": summary_section(row, hidden, shared),
        "plan": plan_section(area_id, shared),
    }


def index_rows(table: pd.DataFrame, small: pd.Series, shared: Shared) -> list[dict]:
    """One row per area for the list: name and link, status, criteria met (suppressed where small)."""
    lang, rows = shared.lang, []
    for (_, row), hidden in zip(table.iterrows(), small, strict=True):  # one row of text per area
        status = row.get("status")
        code = "suppressed" if hidden else status if isinstance(status, str) and status in STATUS_TEXT else "no_data"
        rows.append({
            "href": profile_href(row["area_id"]), "name": str(row.get("name") or row["area_id"]),
            "area_id": str(row["area_id"]), "status_code": code,
            "status": status_text(lang, status, bool(hidden), shared.label),
            "criteria_met": shared.area_text(row, "criteria_met") if "criteria_met" in row.index else
            shared.label if hidden else lang("no data"),
            "colour": STATUS_COLOURS.get(code, "#969696" if hidden else "#ffffff"),
        })
    return sorted(rows, key=lambda r: (r["name"].casefold(), r["area_id"]))


def status_options(rows: list[dict], lang: Language, label: str) -> list[tuple[str, str]]:
    """The status filter's choices: every status of the law in order, then suppressed and no data where present."""
    present = {r["status_code"] for r in rows}
    options = [(code, lang(text)) for code, text in STATUS_TEXT.items()]
    if "suppressed" in present:
        options.append(("suppressed", label))
    if "no_data" in present:
        options.append(("no_data", lang("no data")))
    return options


def build_profiles(inputs: Inputs, config: Config, maps_dir: Path) -> list[Path]:
    """Write maps/areas/<area_id>.html for every housing area and the filterable list maps/areas/index.html."""
    folder = Path(maps_dir) / PROFILE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    figures = figures_of(inputs, config, page_language(config))
    table, small = figures["areas"].values, figures["areas"].hidden
    shared = shared_context(inputs, config, figures)
    lang, env = shared.lang, environment()
    common = {"_": lang, "lang": lang.code, "meta": meta(config, lang),
              "indicative": lang("indicative, computed from supplied data")}
    written = []
    profile = env.get_template("profile.html")
    for (_, row), hidden in zip(table.iterrows(), small, strict=True):  # one page per area
        page = stacked_tables(profile.render(**common, area=area_context(row, bool(hidden), shared)))
        path = folder / profile_file(row["area_id"])
        path.write_text(page, encoding="utf-8")
        written.append(path)
    rows = index_rows(table, small, shared)
    missing = [missing_text(lang, inputs, "housing_areas")] if "housing_areas" in inputs.missing else []
    index = stacked_tables(env.get_template("profile_index.html").render(
        **common, rows=rows, options=status_options(rows, lang, shared.label), missing=missing))
    written.append(folder / INDEX_FILE)
    (folder / INDEX_FILE).write_text(index, encoding="utf-8")
    log.info("Wrote %d housing-area profiles and their list (%s)", len(rows), folder)
    return written
