"""The profile's "Nature and green spaces" section: the area's land cover and its ring beside the municipality,
the walk to protected nature, and what the nature_friendly scenario would change (CONTRACT 6c).

Like the other sections (pipeline/publish/profile_places.py), it takes the area's row and the release's shared
lookups and returns what the template draws, or a `missing` text; the distance, weighted by residents, is
the suppressed label for a small area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipeline.core import datasets
from pipeline.publish.catalogue import indicator
from pipeline.publish.inputs import not_supplied
from pipeline.publish.profile_sections import known, missing_text, reason_text

if TYPE_CHECKING:
    from pipeline.publish.profile_shared import Shared

GREEN_FIELDS = ("share_natural_cover", "share_sealed", "effective_mesh_size_ha", "share_natural_cover_ring",
                "share_sealed_ring", "effective_mesh_size_ha_ring", "protected_nature_dist_m")
SCENARIO = "green_nature_friendly"


def _layer_of(column: str) -> str:
    """The optional source layer a green figure comes from (each is the catalogue's dataset of that layer)."""
    return "protected_nature" if column == "protected_nature_dist_m" else "land_cover"


def green_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """The land-cover figures of the area and its ring beside the municipality's, and the scenario's change; the
    figures of a layer not supplied are left out and the section says which layer (not "no data" figures)."""
    lang = shared.lang
    lacking = [*datasets.unsupplied(shared.config, "land_cover"), *datasets.unsupplied(shared.config, "protected_nature")]
    fields = [c for c in GREEN_FIELDS if c in row.index and (known(row[c]) or _layer_of(c) not in lacking)]
    left_out = [layer for layer in lacking if not any(_layer_of(c) == layer for c in fields)]
    note = reason_text(lang, not_supplied(left_out, shared.config)) if left_out else None
    if not fields:
        return {"rows": [], "scenario": [], "note": None, "missing": note or lang("no data")}
    rows = [{"label": lang(indicator(c).label),
             "value": shared.area_text(row, c),
             "mean": shared.mean_text(c)} for c in fields]
    return {"rows": rows, "scenario": _scenario_rows(str(row["area_id"]), shared), "note": note, "missing": None}


def _scenario_rows(area_id: str, shared: Shared) -> list[dict]:
    """Before and after the chosen areas' lawn turns meadow, for an area the scenario changes (else none; not
    supplied without land cover, which the section's note says)."""
    lang = shared.lang
    prepared = shared.figures["green_scenario"]  # the scenario's figures as prepared (none person-based)
    if prepared is None:
        reason = shared.inputs.missing.get(SCENARIO)
        if reason is not None and reason.supplied:
            return [{"label": missing_text(lang, shared.inputs, SCENARIO), "before": "", "after": ""}]
        return []
    frame = prepared.values
    found = frame[frame["area_id"] == area_id]
    if found.empty or not bool(found["nature_friendly"].iloc[0]):
        return []
    at = found.index[0]
    rows = [{"label": lang(indicator("lawn_to_meadow_m2").label), "before": "",
             "after": prepared.text("lawn_to_meadow_m2").at[at]}]
    for column in GREEN_FIELDS[:-1]:
        rows.append({"label": lang(indicator(column).label),
                     "before": prepared.text(f"{column}_before").at[at],
                     "after": prepared.text(f"{column}_after").at[at]})
    return rows
