"""The panel kit every page is built from: the page list, the panel head, notices, tables' figures, the bar
chart and the "indicative" label, rendered from Jinja2 templates (autoescape on) in the page's language.

Every text a panel shows is an English message id translated with the page's `Language` (`_` in the
templates); every figure is formatted with its `number` / `percent` / `date`. The templates live in
pipeline/publish/templates/ beside page.css, page.js and print.css.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.publish.i18n import Language, language, speaking
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import TEMPLATES_DIR

# One environment for every panel: HTML autoescaped, so a name from the data is always text.
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                               trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def fill(text: str, **parts: Markup) -> Markup:
    """A translated sentence (escaped) with markup put into its {placeholders}, e.g. a <code> command."""
    return Markup.escape(text).format(**parts)


TEMPLATES.globals["fill"] = fill

# The label of every figure computed from supplied data rather than read from the official list.
INDICATIVE = "indicative, computed from supplied data"


@dataclass(frozen=True)
class Page:
    """One map page: its file, title and the one line the index says about it (English message ids)."""

    file: str
    title: str
    description: str


PAGES = (
    Page("index.html", "Social balance: overview", "every input layer on one map"),
    Page("social-balance.html", "Social balance of housing areas",
         "tenure mix, the indicative official status (§ 61 a and § 61 b) and its criteria, school districts' pupil mix"),
    Page("accessibility.html", "Accessibility", "distances to schools, green areas and stations; jobs within reach; tree canopy"),
    Page("school-sites.html", "School site scenarios", "catchments of each candidate school site against today's districts"),
    Page("urban-development.html", "Urban development scenarios",
         "what each development site changes in tenure mix, status and job access"),
    Page("plan.html", "The plan over time",
         "the transformation plans projected year by year: status, social family share, rehousing, projects by effect"),
)


def page_language(config: Config) -> Language:
    """The configured page language (config `language`, default da)."""
    return language(str(config.get("language") or "da"))


def in_page_language(build: Callable[..., Path]) -> Callable[..., Path]:
    """A page builder called in a language: `lang=` given, else the configured one; while it builds, figures
    formatted without a language at hand (a legend's classes) are written in it too (`i18n.speaking`)."""

    @functools.wraps(build)
    def built(*args, lang: Language | None = None, **kwargs) -> Path:
        config = args[1] if len(args) > 1 else kwargs["config"]
        lang = lang or page_language(config)
        with speaking(lang):
            return build(*args, lang=lang, **kwargs)

    return built


def render(template: str, lang: Language, **context) -> Markup:
    """A panel fragment from its template, with `_` (translate) and `lang` (formats) in the page's language."""
    return Markup(TEMPLATES.get_template(template).render(_=lang, lang=lang, **context))


def run_id(config: Config) -> str:
    """The runner's run id, or a note that the page was built outside a run (an English message id)."""
    return str((config.get("run") or {}).get("id") or "none (built outside the runner)")


def data_date(config: Config) -> str:
    """The data's date (CONTRACT 7): the configured data_date, else the statistics' latest year as mix wrote it in
    areas_mix_history (e.g. "2024"), else "unknown"; never the run's date nor a file's modification time."""
    if config.get("data_date"):
        return str(config["data_date"])
    year = statistics_year(config)
    return str(year) if year is not None else "unknown"


def statistics_year(config: Config) -> int | None:
    """The latest year of the statistics mix computed (areas_mix_history's years), or None when they give none."""
    import pyarrow.parquet as pq

    from pipeline.core.datasets import dataset

    path = dataset("areas_mix_history").path(config)
    if not path.exists() or "year" not in pq.read_schema(path).names:
        return None
    years = pq.read_table(path, columns=["year"]).column("year").drop_null()
    return int(max(years.to_pylist())) if len(years) else None


def run_date(config: Config) -> str:
    """The day the run started (ISO), shown apart from the data's date; "" outside the runner."""
    return str((config.get("run") or {}).get("started") or "")[:10]


def shown_date(text: str, lang: Language) -> str:
    """A date written out in the language when it is one (2025-01-31: 31. januar 2025), a year as the statistics'
    year (2024), other text as given."""
    if len(text) == 4 and text.isdigit():
        return lang("{year} (the statistics' latest year)", year=text)
    try:
        return lang.date(dt.date.fromisoformat(text[:10])) if len(text) >= 10 else lang(text)
    except ValueError:
        return lang(text)


def panel_head(page: Page, config: Config, lang: Language, *, back: bool = True) -> Markup:
    """Title, back link, data date, run id and data note."""
    started = run_date(config)
    return render("panel_head.html", lang, title=page.title, back=back, date=shown_date(data_date(config), lang),
                  run=lang(run_id(config)), run_date=shown_date(started, lang) if started else "",
                  note=config.get("data_note") or "")


def indicative_label(lang: Language, element_id: str | None = "sb-indicative") -> Markup:
    """The "indicative, computed from supplied data" label (always printed)."""
    return render("indicative.html", lang, text=INDICATIVE, element_id=element_id)


def missing_notice(what: str, reasons: list[str], lang: Language) -> Markup:
    """A clear notice that a page's data is not there (yet); `what` a message id, reasons from the run (English)."""
    return render("notice_missing.html", lang, what=what, reasons=reasons)


def missing(inputs: Inputs, *names: str) -> list[str]:
    """The reasons why these inputs are absent (empty when all are there)."""
    return [inputs.missing[n] for n in names if n in inputs.missing]


# What each optional source layer feeds, for the notice on pages when it was not supplied (message ids). The
# layers are the catalogue's (datasets.optional_layers: those some dataset needs); this gives each its words.
LAYER_FEEDS = {
    "parcels": "every count of the housing areas (unless grid or area statistics give them)",
    "schools": "school distances, district capacity and the school-site scenarios",
    "school_districts": "the district figures and school_dist_m",
    "jobs": "jobs_walk_15, jobs_bike_30 and the job access figures",
    "green_areas": "the green-space figures",
    "streets": "network distances (straight lines x the detour factor are used instead)",
    "stations": "station_dist_m",
    "candidate_sites": "the school-site and development scenarios",
    "protected_nature": "protected_nature_dist_m, the walk to protected nature",
    "grid_statistics": "counts per Statistics Denmark grid cell (the parcels or area statistics may give them instead)",
    "area_statistics": "the figures published per housing area (the parcels or grid statistics may give counts instead)",
    "plan_projects": "the plan over time (its page, the profiles' projection and the plans in the summary)",
    "canopy": "canopy_share and meets_canopy_30",
    "land_cover": "the land-cover figures (natural cover, sealed share, connected habitat) and the nature-friendly scenario",
    "gtfs": "jobs_transit_45 and the job access figures by public transport",
}
assert tuple(LAYER_FEEDS) == datasets.optional_layers(), "every optional source layer (the catalogue's needs) has its words"
# Layers whose figures another layer gives as well: not named as missing while one of those is supplied (the demo's
# parcels and area statistics give every count the grid cells would).
SUBSTITUTES = {"grid_statistics": ("parcels", "area_statistics")}


# What each ranking objective of the scenarios stage (scenarios_ranking.json `objective`) ranks by, in words.
OBJECTIVE_TEXTS = {
    "min_dissimilarity_no_overcapacity": "no school over capacity first (then the fewest pupils over capacity), "
                                         "then the lowest dissimilarity D",
    "min_dissimilarity": "the lowest dissimilarity D across schools, capacity ignored",
    "min_mean_dist": "the shortest mean distance to school",
    "max_fall_share_social_family_omdannelse": "the largest fall in the social family housing share of the "
                                               "omdannelsesområder",
    "max_jobs_bike_30_gain": "the largest mean gain in jobs within 30 minutes by bike per resident",
}


def ranking_objective(inputs: Inputs, question: str, lang: Language) -> Markup:
    """The sentence saying what the ranking of one question (school_sites, development) ranks by, read from
    the scenarios stage's scenarios_ranking.json (nothing when it is not there)."""
    objective = ((inputs.ranking or {}).get(question) or {}).get("objective")
    if not objective:
        return Markup("")
    words = lang(OBJECTIVE_TEXTS[objective]) if objective in OBJECTIVE_TEXTS else objective
    return render("ranking_objective.html", lang, words=words, question=question)


def absent_layers(inputs: Inputs, config: Config, reader: str | None = None) -> list[str]:
    """The optional source layers not supplied (of those the `reader` stage's datasets need, or all): not
    configured, or not ingested though configured (a source marked `required: false` whose file was not there).
    A layer publish reads counts as supplied where its ingested data are there."""
    def there(layer: str) -> bool:
        return inputs.get(layer) is not None or layer in inputs.rasters

    def absent(layer: str) -> bool:
        return layer in inputs.missing or not (datasets.supplied(config, layer) or there(layer))

    return [layer for layer in datasets.optional_layers(reader)
            if absent(layer) and all(absent(other) for other in SUBSTITUTES.get(layer, ()))]


def absent_layers_notice(inputs: Inputs, config: Config, lang: Language, reader: str | None = None) -> Markup:
    """Which optional source layers were not supplied and which figures are therefore empty ("no data", not 0)."""
    absent = [(layer, layer.replace("_", " "), LAYER_FEEDS[layer]) for layer in absent_layers(inputs, config, reader)]
    return render("notice_absent_layers.html", lang, absent=absent) if absent else Markup("")


def bar_chart(names: pd.Series, values: pd.Series, shown: list[str], rank: pd.Series | None, title: str,
              lang: Language) -> Markup:
    """A dot plot in plain HTML and CSS (no chart library): each value a dot on one axis running from the smallest
    value to the largest (not from 0, where close values such as D 0,700 and 0,722 would look the same), its value
    written beside it; the rank-1 dot in green. `shown` holds each value as the page writes it."""
    numbers = pd.to_numeric(values, errors="coerce")
    known = numbers.dropna()
    low, high = (float(known.min()), float(known.max())) if len(known) else (0.0, 0.0)
    texts = dict(zip(numbers, shown, strict=False))
    bars = []
    for name, value, text, r in zip(names, numbers, shown, rank if rank is not None else [None] * len(names), strict=True):
        at = None if pd.isna(value) else DOT_MARGIN + (100 - 2 * DOT_MARGIN) * (
            (float(value) - low) / (high - low) if high > low else 0.5)
        best = r is not None and not pd.isna(r) and int(r) == 1
        bars.append({"name": str(name), "at": None if at is None else f"{at:.1f}", "best": best, "text": text})
    axis = {"low": texts.get(low, ""), "high": texts.get(high, "")} if high > low else None
    return render("bar_chart.html", lang, title=title, bars=bars, axis=axis)


# The dot plot's dots keep this share (%) of the track free at each end, so a dot at the axis's end shows whole.
DOT_MARGIN = 4.0
