"""Every English message id the pages can show, for translators and tests.

Found two ways: the literal texts of `lang("...")` / `_("...")` calls (and of the kit functions that take a
message id: `missing_notice`, `bar_chart`, `Reason`) extracted from publish's Python modules and templates with
Babel's extractors, and the texts kept in tables (the catalogue's labels, the status names, the page list, the
popup sections, the words of category columns). `python -m pipeline.publish.messages` prints the ids the
Danish catalogues lack.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from pipeline.core import datasets
from pipeline.publish import catalogue, glossary, privacy, profile_sections, status_text, summary
from pipeline.publish.i18n import missing_messages

PUBLISH_DIR = Path(__file__).parent
# function name -> which argument is the message id (Babel's keyword spec)
KEYWORDS = {"lang": None, "_": None, "missing_notice": (1,), "Reason": (1,), "bar_chart": (5,), "fill": None}
# Values of category columns shown as words (privacy.WORD_COLUMNS): sources of figures, kinds, area types.
CATEGORY_WORDS = ("parcels", "grid", "area", "none", "network", "school", "development", "park", "forest", "nature",
                  "sports", "other", "social", "private", "mixed")
# Group names of segregation.json under the default config (mix.segregation_groups), as the page writes them.
SEGREGATION_GROUPS = ("non western", "outside work edu", "social family dwellings", "tenure theil h")


def extracted() -> set[str]:
    """The literal message ids of publish's Python modules and Jinja2 templates."""
    ids: set[str] = set()
    sources = [("python", p) for p in PUBLISH_DIR.rglob("*.py")]
    sources += [("jinja2.ext:babel_extract", p) for p in (PUBLISH_DIR / "templates").glob("*.html")]
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
            if isinstance(message, str) and message:
                ids.add(message)
    return ids


def tabled() -> set[str]:
    """The message ids kept in tables rather than in calls."""
    from pipeline.publish.pages import index, kit, layers, school_sites, social_balance
    from pipeline.publish.summary import municipality

    ids = {i.label for i in catalogue.INDICATORS.values()} | set(catalogue.STATUS_LABELS.values())
    ids |= {p.title for p in kit.PAGES} | {p.description for p in kit.PAGES}
    ids |= {title for title, _ in layers.MIX_SECTIONS} | set(status_text.UNKNOWN_NAMES.values())
    ids |= set(status_text.STATUS_WORDS.values()) | set(status_text.GHETTO_WORDS.values())
    ids |= glossary.all_texts() | {privacy.NOT_RELEVANT}
    ids |= set(status_text.BASIS_WORDS.values()) | set(status_text.COMPARISONS.values()) | set(profile_sections.RULE_OF_THRESHOLD.values())
    ids |= set(kit.LAYER_FEEDS.values()) | set(kit.OBJECTIVE_TEXTS.values()) | {name.replace("_", " ") for name in kit.LAYER_FEEDS}
    ids |= {kit.INDICATIVE, "none (built outside the runner)", "unknown", "suppressed"}
    ids |= {text for _, text in index.SYMBOL_KEY} | set(school_sites.REFERENCE_LAYERS.values())
    ids |= set(social_balance.SEGREGATION_INDICES.values()) | set(SEGREGATION_GROUPS) | set(CATEGORY_WORDS)
    ids |= catalogue.legend_words()  # units and directions in legend titles
    ids |= set(datasets.REFERENCE_SCENARIOS.values())  # the names the scenarios stage gives its two reference rows
    ids |= summary.message_ids()  # Kort fortalt's sentences kept in tables (pipeline/publish/summary/)
    ids |= {what for _, what in municipality.PLAN_PARTS}  # the parts of the plans the summary says are missing
    return ids


def message_ids() -> list[str]:
    """Every message id a page can show, sorted."""
    return sorted(extracted() | tabled())


if __name__ == "__main__":
    for message in missing_messages(message_ids()):
        print(message)
