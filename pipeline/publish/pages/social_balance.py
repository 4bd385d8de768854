"""The social-balance page: areas by their indicative status (Almenboligloven §61a), a classed layer per mix
indicator, the school districts' pupil mix and the municipality's segregation indices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.publish.catalogue import NO_DATA_COLOUR, STATUS_COLOURS, STATUS_LABELS, indicator, legend_title
from pipeline.publish.classes import classify, suppressed_entry
from pipeline.publish.i18n import NO_DATA, Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.maps import Legend, add_panel, bounds_of, extent_bounds, finish, new_map, save_page
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
from pipeline.publish.privacy import page_suppressed_label
from pipeline.publish.tables import area_table_from_inputs, small_areas

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
    body = [panel_head(page, config, lang), indicative_label(lang)]
    if mix is None or not table.geometry.notna().any():
        body.append(missing_notice("Social balance of housing areas", missing(inputs, "areas_mix", "housing_areas"), lang))
    else:
        small = small_areas(table, config)
        classed = {c: classify(table[c], small, config, c) for c in MIX_LAYERS if c in table.columns}
        fills = {c: colours for c, (colours, _) in classed.items()}
        if "status" in table.columns:
            fills = {"status": categorical_colours(table["status"], small, STATUS_COLOURS), **fills}
        data = embed_areas(m, table, small, config, lang, fills)
        if "status" in table.columns:
            entries = status_entries(lang)
            if table["status"].isna().any():
                entries.append((NO_DATA_COLOUR, lang(NO_DATA)))
            if small.any():
                entries.append(suppressed_entry(config))
            add_filled_layer(m, data, "status", lang("Status (indicative)"), entries, show=True, tip_label=lang("Status"),
                             legend=lang("Status (indicative, §61a)"))
            body.append(_status_counts(table["status"], small, config, lang))
        for column, (_, entries) in classed.items():
            add_filled_layer(m, data, column, lang(indicator(column).label), entries, legend=legend_title(column, lang=lang))
    _add_district_mix(m, inputs, config, lang, body)
    add_schools(m, inputs, config, lang, show=False)
    body.append(_segregation_markup(inputs, lang))
    body.append(absent_layers_notice(inputs, lang))
    body.append(render("status_glossary.html", lang))
    finish(m)
    add_panel(m, "".join(body))
    return save_page(m, maps_dir / page.file, config, lang(page.title))


def _add_district_mix(m, inputs: Inputs, config: Config, lang: Language, body: list) -> None:
    """The school districts coloured by the share of their pupils living in udsat-or-worse areas."""
    districts, small_d = district_frame(inputs, config)
    if districts is not None and "share_pupils_udsat_or_worse" in districts.columns:
        colours, entries = classify(districts["share_pupils_udsat_or_worse"], small_d, config, "share_pupils_udsat_or_worse")
        frame = districts.assign(fill=colours.to_numpy())
        group = context_layer(m, frame, config, lang("School districts: pupil mix"), fields=DISTRICT_FIELDS,
                              small=small_d, show=False,
                              options={"fill": "fill", "style": {**AREA_STYLE, "weight": 2},
                                       "tipLabel": lang("Pupils in udsat-or-worse areas"),
                                       "tipValue": "f_share_pupils_udsat_or_worse"})
        title = lang("School districts: {label}", label=lang(indicator("share_pupils_udsat_or_worse").label))
        Legend(m, group, legend_title("share_pupils_udsat_or_worse", title, lang), entries).add_to(m)
    elif "school_districts_mix" in inputs.missing:
        body.append(missing_notice("School districts' pupil mix", missing(inputs, "school_districts_mix"), lang))


def _status_counts(status: pd.Series, small: pd.Series, config: Config, lang: Language) -> str:
    """How many areas of the areas table have each status (small areas counted as suppressed): a tally of
    mix's status column, as the table shows it."""
    shown = status.astype(object).where(~small, "__suppressed")
    counts = shown.value_counts()
    rows = [(lang(label), lang.number(int(counts.get(k, 0)))) for k, label in STATUS_LABELS.items()]
    if counts.get("__suppressed", 0):
        rows.append((page_suppressed_label(config, lang), lang.number(int(counts["__suppressed"]))))
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
            rows.append((lang(group), lang(SEGREGATION_INDICES[path[-1].lower()]), lang.number(value, 3)))

    walk((), segregation)
    return rows


def _segregation_markup(inputs: Inputs, lang: Language) -> str:
    """The segregation table, or a notice that mix has not written it."""
    if inputs.segregation is None:
        return missing_notice("Segregation indices", missing(inputs, "segregation"), lang)
    return render("segregation.html", lang, rows=segregation_rows(inputs.segregation, lang))
