"""The demo's plan over time: three transformation plans of phased projects in the three worst estates.

plan_projects.csv (CONTRACT 6a): the omdannelse estate's plan (demolition, sales, conversion to youth and elderly
housing, new homes) is sized from the estate's own dwellings so that its social family share reaches the cap
(mix.family_housing_cap) by 2029; the parallelsamfund estate's plan (it becomes an omdannelse area by the years
on the list) is smaller and misses the cap; the udsat estate's plan is a business park's jobs and new homes.
Their rehoused residents go, by default, to the other areas with social family dwellings: the forebyggelse
area receives enough of them to be pushed towards the list. Years run from the data's year to about 2032.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.core.columns import TENURES

PLAN_AREAS = (("estate_omdannelse", "Helhedsplan"), ("estate_parallelsamfund", "Udviklingsplan"),
              ("estate_udsat", "Erhvervs- og boligplan"))
# DKK per dwelling: demolition with rehousing, sale or conversion with renovation, a new dwelling
COST = {"demolish": 450_000, "convert": 700_000, "build": 2_600_000}


def _area_sums(parcels: pd.DataFrame, group: np.ndarray, n_areas: int) -> pd.DataFrame:
    """Dwellings per tenure and all dwellings of each area (its position in the plan)."""
    inside = group < n_areas
    columns = [f"dwellings_{t}" for t in TENURES]
    sums = parcels.loc[inside, columns].groupby(group[inside]).sum().reindex(range(n_areas), fill_value=0)
    sums["dwellings"] = sums.sum(axis=1)
    return sums


def _row(project_id: str, name: str, plan: str, year: int, area_id: str, cost: float, jobs: int = 0,
         **changes: int) -> dict:
    row = {"project_id": project_id, "name": name, "plan": plan, "year": year, "area_id": area_id,
           **{f"dwellings_change_{t}": int(changes.get(t, 0)) for t in TENURES}, "jobs_change": jobs,
           "cost_dkk": round(cost)}
    return row


def _to_cap(social_family: int, dwellings: int, cap: Fraction) -> int:
    """Dwellings of other tenures to build so that social_family is at most cap of all: ceil(S / cap - D), >= 0."""
    return max(0, -((-(social_family * cap.denominator - dwellings * cap.numerator)) // cap.numerator))


def plan_projects(plan: pd.DataFrame, parcels: pd.DataFrame, group: np.ndarray, mix: dict, data_year: int) -> pd.DataFrame:
    """The demo's plan_projects table: three plans of phased projects, each row one project."""
    sums = _area_sums(parcels, group, len(plan))
    cap = Fraction(str(mix["family_housing_cap"]))
    rows: list[dict] = []
    for number, (archetype, title) in enumerate(PLAN_AREAS, start=1):
        position = int(np.flatnonzero(plan.archetype.to_numpy() == archetype)[0])
        area_id, name = str(plan.area_id.iloc[position]), str(plan.name.iloc[position])
        s, d = int(sums["dwellings_social_family"].iloc[position]), int(sums["dwellings"].iloc[position])
        label = f"{title} {name}"
        prefix = f"P{number}"
        y = data_year
        if number == 1:  # reaches the cap: demolition, sales, conversion, then enough new homes by 2029
            demolish, sell, convert, build = round(0.20 * s), round(0.12 * s), round(0.10 * s), round(0.15 * d)
            rest = _to_cap(s - demolish - sell - convert, d - demolish + build, cap) + 5
            rows += [
                _row(f"{prefix}-01", f"Nedrivning af {demolish} familieboliger", label, y + 1, area_id,
                     demolish * COST["demolish"], social_family=-demolish),
                _row(f"{prefix}-02", f"Salg af {sell} familieboliger som ejerboliger", label, y + 2, area_id,
                     sell * COST["convert"], social_family=-sell, owner=sell),
                _row(f"{prefix}-03", f"{build} nye ejerboliger", label, y + 3, area_id, build * COST["build"], owner=build),
                _row(f"{prefix}-04", f"{convert} familieboliger bliver ungdoms- og ældreboliger", label, y + 4, area_id,
                     convert * COST["convert"], social_family=-convert, social_other=convert),
                _row(f"{prefix}-05", f"{rest} nye private lejeboliger", label, y + 5, area_id, rest * COST["build"],
                     private_rental=rest),
                _row(f"{prefix}-06", "Butikker og service i stueetagerne", label, y + 8, area_id, 40_000_000, jobs=120),
            ]
        elif number == 2:  # misses the cap: a smaller plan
            convert, build, demolish = round(0.10 * s), round(0.10 * d), round(0.08 * s)
            rows += [
                _row(f"{prefix}-01", f"{convert} familieboliger bliver ældreboliger", label, y + 2, area_id,
                     convert * COST["convert"], social_family=-convert, social_other=convert),
                _row(f"{prefix}-02", f"{build} nye ejerboliger", label, y + 4, area_id, build * COST["build"], owner=build),
                _row(f"{prefix}-03", f"Nedrivning af {demolish} familieboliger", label, y + 6, area_id,
                     demolish * COST["demolish"], social_family=-demolish),
            ]
        else:  # a business park beside the estate, and new homes
            build, sell = round(0.12 * d), round(0.08 * s)
            rows += [
                _row(f"{prefix}-01", "Erhvervspark ved stationen", label, y + 1, area_id, 250_000_000, jobs=600),
                _row(f"{prefix}-02", f"{build} nye andelsboliger", label, y + 3, area_id, build * COST["build"],
                     cooperative=build),
                _row(f"{prefix}-03", f"Salg af {sell} familieboliger", label, y + 5, area_id, sell * COST["convert"],
                     social_family=-sell, owner=sell),
                _row(f"{prefix}-04", "Erhvervsparkens anden etape", label, y + 7, area_id, 180_000_000, jobs=400),
            ]
    return pd.DataFrame(rows)
