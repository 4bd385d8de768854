"""The plan over time (CONTRACT 6a): the plan_projects layer projected year by year to `plan.horizon`.

Reads the ingested plan_projects, areas_mix (the baseline: the latest year's dwellings, residents, person
counts and status), areas_mix_history (the data's year) and parcels_mix (residents per dwelling of each tenure);
returns plan_trajectory, plan_rehousing and plan_projects_effect, which the stage writes. The projection
itself is pipeline/scenarios/plan_trajectory.py, the tables pipeline/scenarios/plan_tables.py; the
assumptions are config (`plan` in pipeline/defaults.yaml) and docs/scenarios.md explains them.
A plan row the projection cannot apply (a conversion that does not balance, a year before the data's, a
demolition of more dwellings than the area has then) stops the run with exit status 2, naming the project.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import mix
from pipeline.core.columns import PERSON_SUBCOUNTS
from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem, first_ids
from pipeline.core.log import log, warn
from pipeline.core.paths import source_path
from pipeline.scenarios.plan_tables import (
    check_projects,
    empty_tables,
    plan_tables,
    reference_composition,
    residents_per_dwelling,
)
from pipeline.scenarios.plan_trajectory import PlanProblem, Settings

COUNTS = [*PERSON_SUBCOUNTS, "gross_income_sum_15_64"]


def data_year(history: pd.DataFrame | None, config: Config) -> int:
    """The year the plan starts from: the statistics' latest year, else the year of config data_date."""
    years = pd.to_numeric(history["year"]).dropna() if history is not None and "year" in history.columns else []
    if len(years):
        return int(years.max())
    text = str(config.get("data_date") or "")[:4]
    if text.isdigit():
        return int(text)
    raise InputError(Problem(
        "the plan over time needs the data's year, but the statistics give no year and data_date is empty",
        "give the statistics a year column, or set data_date (YYYY-MM-DD) in the config", layer="plan_projects"))


def settings_of(config: Config, baseline: pd.DataFrame, parcels: pd.DataFrame | None, year: int) -> Settings:
    """The plan's assumptions from config and the data (docs/scenarios.md)."""
    plan = config["plan"]
    kinds = [*config["ingest"]["tenures"], mix.OTHER_TENURE]
    counts = [c for c in COUNTS if c in baseline.columns]
    rehousing = plan.get("rehousing") or {}
    return Settings(
        data_year=year, horizon=int(plan["horizon"]), kinds=kinds, counts=counts,
        residents_per_dwelling=residents_per_dwelling(parcels, kinds, plan.get("residents_per_dwelling")),
        reference=reference_composition(baseline, counts, list(plan["new_residents_statuses"]),
                                        list(plan.get("new_residents_areas") or [])),
        same_area_share=float(rehousing.get("same_area_share") or 0.0),
        receiving_areas=[str(a) for a in rehousing.get("areas") or []],
    )


def _check_named_areas(config: Config, baseline: pd.DataFrame) -> None:
    """plan.rehousing.areas and plan.new_residents_areas must name housing areas (exit 2 otherwise)."""
    known = set(baseline["area_id"].astype("str"))
    plan = config["plan"]
    for key, named in (("plan.rehousing.areas", (plan.get("rehousing") or {}).get("areas")),
                       ("plan.new_residents_areas", plan.get("new_residents_areas"))):
        unknown = [str(a) for a in named or [] if str(a) not in known]
        if unknown:
            raise InputError(Problem(f"config {key} names areas that are no housing area: {', '.join(unknown[:10])}",
                                     f"name area_id values of housing_areas in {key}, or leave it empty"))


def _problem(config: Config, err: PlanProblem) -> InputError:
    """A plan row the projection could not apply, as the analyst reads it (exit status 2)."""
    settings = config["sources"].get("plan_projects") or {}
    return InputError(Problem(err.what, err.fix, file=source_path(config, settings) if settings else None,
                              layer="plan_projects", column=err.column, ids=first_ids(err.ids), count=len(err.ids)))


def plan_outputs(config: Config, projects: pd.DataFrame | None, areas_mix: pd.DataFrame, parcels: pd.DataFrame | None,
                 history: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """plan_trajectory, plan_rehousing and plan_projects_effect (empty tables when there is no plan)."""
    kinds = [*config["ingest"]["tenures"], mix.OTHER_TENURE]
    counts = [c for c in COUNTS if c in areas_mix.columns]
    if projects is None or not len(projects):
        log.info("Scenarios found no plan_projects; wrote empty plan tables")
        return empty_tables(kinds, counts)
    baseline = pd.DataFrame(areas_mix.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    _check_named_areas(config, baseline)
    year = data_year(history, config)
    settings = settings_of(config, baseline, parcels, year)
    if settings.horizon < year:
        raise InputError(Problem(f"plan.horizon {settings.horizon} lies before the data's year {year}",
                                 f"set plan.horizon to {year} or later", layer="plan_projects"))
    try:
        checked = check_projects(projects, kinds, pd.Index(baseline["area_id"].astype("str")), year)
        trajectory, rehousing, effect, run = plan_tables(baseline, checked, settings, config["mix"] | {
            "tenures": list(config["ingest"]["tenures"])})
    except PlanProblem as err:
        raise _problem(config, err) from None
    late = checked.table["year"].gt(settings.horizon).to_numpy()
    if late.any():
        warn(f"{int(late.sum())} plan projects take effect after plan.horizon {settings.horizon} and are not in the "
             f"projection (project_id {', '.join(checked.table['project_id'][late].head(10))})")
    _warn_rehousing(trajectory, run.unplaced[:, 0].sum())
    unknown = [k for k, v in settings.residents_per_dwelling.items() if np.isnan(v)]
    if unknown or np.isnan(settings.reference).any():
        warn("the plan's projection lacks residents per dwelling built or the reference composition (no parcels with "
             "residents, or no reference area with the counts), so residents or person counts of areas with new "
             "dwellings are unknown; set plan.residents_per_dwelling or plan.new_residents_areas")
    log.info("Scenarios projected %d plan projects over %d areas, %d-%d (%s)", len(checked.table), len(baseline),
             year, settings.horizon, "projection")
    return trajectory, rehousing, effect


def _warn_rehousing(trajectory: pd.DataFrame, unplaced: float) -> None:
    """Warn of receiving areas that rehousing alone moves onto a list (or a harder one), and of residents
    the plan rehouses with no area to receive them."""
    tipped = trajectory[trajectory["onto_list_by_rehousing"].to_numpy(dtype=bool)]
    first = tipped.groupby("area_id", sort=True).first()
    if len(first):
        named = [f"{a} ({r['name']}: {r['status_without_rehousing']} -> {r['status']} in {int(r['year'])})"
                 for a, r in first.head(10).iterrows()]
        warn(f"the plan's rehousing alone moves {len(first)} receiving areas onto a list (projection): "
             f"{', '.join(named)}; consider plan.rehousing.areas or a lower share there")
    if unplaced and not np.isnan(unplaced):
        warn(f"{int(unplaced)} residents of removed social family dwellings have no receiving area (no other area "
             "with social family dwellings, or plan.rehousing.areas names none with any) and leave the housing areas")
