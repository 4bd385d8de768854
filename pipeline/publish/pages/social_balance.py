"""The social-balance page: areas by their indicative status (Almenboligloven §61a), a classed layer per mix
indicator, the school districts' pupil mix and the municipality's segregation indices."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import NO_DATA_COLOUR, STATUS_COLOURS, STATUS_LABELS, indicator, legend_title
from pipeline.publish.classes import classify, suppressed_entry
from pipeline.publish.figures import Figures, figures_of
from pipeline.publish.glossary import other_text
from pipeline.publish.i18n import NO_DATA, Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import (
    GeoData,
    Legend,
    add_panel,
    bounds_of,
    extent_bounds,
    finish,
    new_map,
    save_page,
)
from pipeline.publish.pages.base_map import add_base
from pipeline.publish.pages.kit import (
    PAGES,
    absent_layers_notice,
    in_page_language,
    indicative_label,
    missing,
    missing_notice,
    panel_head,
    render,
)
from pipeline.publish.pages.layers import (
    AREA_STYLE,
    DISTRICT_FIELDS,
    add_filled_layer,
    add_schools,
    categorical_colours,
    context_layer,
    district_frame,
    embed_areas,
    status_entries,
)
from pipeline.publish.status_text import (
    GHETTO_WORDS,
    latest_rules,
    rule_set_text,
    rule_values,
    rules_from_config,
    rules_of,
    status_word,
)
from pipeline.publish.tables import area_table_from_inputs

MIX_LAYERS = ("share_social_family", "tenure_diversity", "share_outside_work_edu", "crime_ratio", "share_basic_edu",
              "income_ratio", "share_non_western")
# The index names segregation.json uses, and how the page names them (message ids).
SEGREGATION_INDICES = {"d": "dissimilarity D", "dissimilarity": "dissimilarity D", "xpx": "isolation xPx",
                       "isolation": "isolation xPx", "h": "Theil H", "theil_h": "Theil H"}


@in_page_language
def build_social_balance(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """Areas by indicative status, with a classed layer per mix indicator and the districts' pupil mix."""
    page = PAGES[1]
    table = area_table_from_inputs(inputs, config)
    mix = inputs.get("areas_mix")
    m = new_map(config, bounds_of(table) or extent_bounds(config))
    add_base(m, inputs, config, lang)  # the offline base map and the print fit
    body = [panel_head(page, config, lang), indicative_label(lang)]
    if mix is None or not table.geometry.notna().any():
        body.append(missing_notice("Social balance of housing areas", missing(inputs, "areas_mix", "housing_areas"), lang))
    else:
        figures = figures_of(inputs, config, lang)
        small = figures["areas"].hidden
        classed = {c: classify(table[c], small, config, c) for c in MIX_LAYERS if c in table.columns}
        fills = {c: colours for c, (colours, _) in classed.items()}
        if "status" in table.columns:
            fills = {"status": categorical_colours(table["status"], small, STATUS_COLOURS), **fills}
        data = embed_areas(m, figures, config, lang, fills)
        if "status" in table.columns:
            add_filled_layer(m, data, "status", lang("Status (indicative)"), _status_legend(table["status"], small, config, lang),
                             show=True, tip_label=lang("Status"), legend=lang("Status (indicative, § 61 a and § 61 b)"))
            body.append(_status_counts(table["status"], small, figures, lang))
            _add_status_years(m, figures, config, lang, shapes=data)
        for column, (_, entries) in classed.items():
            add_filled_layer(m, data, column, lang(indicator(column).label), entries, legend=legend_title(column, lang=lang))
    _add_district_mix(m, inputs, config, lang, body)
    add_schools(m, inputs, config, lang, show=False)
    body.append(_segregation_markup(inputs, lang))
    body.append(absent_layers_notice(inputs, config, lang, "mix"))
    rules = rules_of(area_table_from_inputs(inputs, config)) or rules_from_config(config["mix"])
    body.append(render("status_glossary.html", lang, v=rule_values(lang, rules)))
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _status_legend(status: pd.Series, small: pd.Series, config: Config, lang: Language) -> list[tuple[str, str]]:
    """The status legend: the law's statuses, then "no data" and suppressed where some area is so."""
    entries = status_entries(lang)
    if status.isna().any():
        entries.append((NO_DATA_COLOUR, lang(NO_DATA)))
    if small.any():
        entries.append(suppressed_entry(config))
    return entries


def earlier_years(history: pd.DataFrame | None) -> list[int]:
    """The years of areas_mix_history before its latest (whose status is the page's status layer); none
    when there is no history or it has one year."""
    if history is None or "year" not in history.columns:
        return []
    years = sorted({int(y) for y in pd.to_numeric(history["year"], errors="coerce").dropna()})
    return years[:-1]


def status_of_year(figures: Figures, year: int) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """The page's areas with that year's history row (status, criteria met, rule set as mix wrote them), and
    which to suppress: an area suppressed on the page, or small by that year's residents (both as prepared)."""
    history, areas = figures["history"], figures["areas"]
    table, small = areas.values, areas.hidden
    rows = history.values.assign(_hidden=history.hidden)
    rows = rows[pd.to_numeric(rows["year"], errors="coerce") == year]
    rows = rows.assign(area_id=rows["area_id"].astype(str)).drop_duplicates("area_id").set_index("area_id")
    columns = [c for c in ("_hidden", "status", "criteria_met", "rule_set") if c in rows.columns]
    shown = rows[columns].reindex(table["area_id"].astype(str).to_numpy()).set_axis(table.index)
    year_small = small | shown["_hidden"].astype(object).where(shown["_hidden"].notna(), True).astype(bool)
    frame = gpd.GeoDataFrame(shown.drop(columns="_hidden"), geometry=table.geometry, crs=table.crs)
    frame.insert(0, "year", str(year))
    frame["area_id"] = table["area_id"]
    frame["name"] = table["name"] if "name" in table.columns else table["area_id"]
    return frame, year_small


def _add_status_years(m, figures: Figures, config: Config, lang: Language, shapes: GeoData | None = None) -> None:
    """A status layer per earlier year of areas_mix_history ("Status 2020", off), coloured and explained like the
    status layer; the page shows the history's own figures, suppressed as the status layer is. Each year embeds
    only its rows, drawn on the areas' polygons `shapes` holds (embedded once for the page)."""
    history = figures["history"].values if figures["history"] is not None else None
    if "area_id" not in figures["areas"].values.columns:
        return
    for year in earlier_years(history):
        frame, year_small = status_of_year(figures, year)
        status = frame["status"] if "status" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        frame["fill"] = categorical_colours(status, year_small, STATUS_COLOURS).to_numpy()
        _in_words(frame, history[pd.to_numeric(history["year"], errors="coerce") == year], config, lang)
        name = lang("Status {year}", year=str(year))
        group = context_layer(m, frame, config, name, fields=["year", "status", "criteria_met", "rule_set"],
                              prepared=figures.sized(frame, hidden=year_small), show=False,
                              options={"title": "name", "fill": "fill", "style": AREA_STYLE, "tipLabel": name,
                                       "tipValue": "f_status", "profile_link": True, "shapes": shapes})
        if group is not None:
            legend = lang("Status {year} (indicative, § 61 a and § 61 b)", year=str(year))
            Legend(m, group, legend, _status_legend(status, year_small, config, lang)).add_to(m)


def _in_words(frame: gpd.GeoDataFrame, rows: pd.DataFrame, config: Config, lang: Language) -> None:
    """A year's rule set in words (never its config name) and its statuses in its own law's words (ghettoområde
    for 2018-2020), in place; the colours stay those of the status codes."""
    rules = latest_rules(rows, config["mix"])
    if "rule_set" in frame.columns and "rule_terms" in rows.columns:
        frame["rule_set"] = frame["rule_set"].where(frame["rule_set"].isna(), rule_set_text(lang, rules))
    if "status" in frame.columns and rules.get("rule_terms") == "ghetto":
        frame["status"] = frame["status"].map(lambda s: status_word(lang, s, "ghetto") if s in GHETTO_WORDS else s)


def _add_district_mix(m, inputs: Inputs, config: Config, lang: Language, body: list) -> None:
    """The school districts coloured by the share of their pupils living in udsat-or-worse areas."""
    districts, prepared = district_frame(inputs, config, lang)
    if districts is not None and "share_pupils_udsat_or_worse" in districts.columns:
        colours, entries = classify(districts["share_pupils_udsat_or_worse"], prepared.hidden, config,
                                    "share_pupils_udsat_or_worse")
        frame = districts.assign(fill=colours.to_numpy())
        group = context_layer(m, frame, config, lang("School districts: pupil mix"), fields=DISTRICT_FIELDS,
                              prepared=prepared, show=False,
                              options={"fill": "fill", "style": {**AREA_STYLE, "weight": 2},
                                       "tipLabel": lang("Pupils in udsat-or-worse areas"),
                                       "tipValue": "f_share_pupils_udsat_or_worse"})
        title = lang("School districts: {label}", label=lang(indicator("share_pupils_udsat_or_worse").label))
        Legend(m, group, legend_title("share_pupils_udsat_or_worse", title, lang), entries).add_to(m)
    elif "school_districts_mix" in inputs.missing:
        body.append(missing_notice("School districts' pupil mix", missing(inputs, "school_districts_mix"), lang))


def _status_counts(status: pd.Series, small: pd.Series, figures: Figures, lang: Language) -> str:
    """How many areas of the areas table have each status (small areas counted as suppressed): a tally of
    mix's status column, as the table shows it."""
    shown = status.astype(object).where(~small, "__suppressed")
    counts = shown.value_counts()
    rows = [(lang(label), other_text(lang, "count", int(counts.get(k, 0)))) for k, label in STATUS_LABELS.items()]
    if counts.get("__suppressed", 0):
        rows.append((figures.label, other_text(lang, "count", int(counts["__suppressed"]))))
    return render("status_counts.html", lang, rows=rows)


def segregation_rows(segregation: dict, lang: Language) -> list[tuple[str, str, str]]:
    """The municipality-wide indices (D, xPx, Theil H) of segregation.json: (group, index, value) per figure."""
    rows = []

    def walk(path: tuple[str, ...], value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk((*path, str(key)), inner)
        elif path and path[-1].lower() in SEGREGATION_INDICES and isinstance(value, int | float) and not isinstance(value, bool):
            group = " ".join(p for p in path[:-1] if p != "groups").replace("_", " ")
            rows.append((lang(group), lang(SEGREGATION_INDICES[path[-1].lower()]),
                         other_text(lang, "segregation_index", value)))

    walk((), segregation)
    return rows


def _segregation_markup(inputs: Inputs, lang: Language) -> str:
    """The segregation table, or a notice that mix has not written it."""
    if inputs.segregation is None:
        return missing_notice("Segregation indices", missing(inputs, "segregation"), lang)
    return render("segregation.html", lang, rows=segregation_rows(inputs.segregation, lang))
