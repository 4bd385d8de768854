"""Which schools serve which school district: one link table however the municipality gives it.

A district may be served by several schools and a school may serve several districts (CONTRACT 2,
district_schools). The link comes, in this order of precedence, from
1. a `district_schools` table (district_id, school_id, optional share),
2. a column of the schools naming the school's district by id or by name (`schools.columns.district`,
   with `schools.district_match: id | name`: the GeoFA theme 5710 case, where Copenhagen's schools carry
   `skoledistrikt` = the district's name and "Distrikt Ørestad" is served by four schools),
3. the districts' own `school_id` (one school, or a list: an array column or text split on
   `school_districts.school_id_separator`).
Names match after Unicode NFC, case folding and whitespace normalisation, nothing looser: a value that
matches nothing is bad input naming the closest names (difflib), never a guess.
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Protocol

import numpy as np
import pandas as pd

from pipeline.core.errors import Problem
from pipeline.core.log import warn

LINK_COLUMNS = ("district_id", "school_id", "share")


class _Located(Protocol):
    settings: dict

    def problem(self, what: str, fix: str, column: str | None = None, ids=(), count: int | None = None) -> Problem: ...


def normalised_names(values: pd.Series) -> pd.Series:
    """Names compared as the same when they differ only in Unicode form, case or spacing."""
    text = values.astype("string").map(lambda v: unicodedata.normalize("NFC", v), na_action="ignore")
    return text.astype("string").str.casefold().str.split().str.join(" ")


def closest_names(value: str, candidates: pd.Series, n: int = 3) -> list[str]:
    """The candidate names closest to a value that matched none (for the message)."""
    keys = normalised_names(candidates.dropna())
    by_key = dict(zip(keys, candidates.dropna().astype(str), strict=True))
    key = normalised_names(pd.Series([value])).iloc[0] or ""
    return [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.5)]


def match_to(values: pd.Series, target_ids: pd.Series, target_names: pd.Series | None, by: str) -> pd.Series:
    """The target id each value names (by id: the same text; by name: the same normalised name); NA if none."""
    keys = target_ids if by == "id" or target_names is None else target_names
    lookup = pd.Series(target_ids.to_numpy(), index=normalised_names(keys).to_numpy() if by == "name" else keys.to_numpy())
    lookup = lookup[~lookup.index.duplicated(keep=False)]  # a name two targets share matches neither
    probe = normalised_names(values) if by == "name" else values.astype("string").str.strip()
    return pd.Series(probe.map(lookup).to_numpy(), index=values.index, dtype="string")


def _unmatched_problem(source: _Located, values: pd.Series, matched: pd.Series, candidates: pd.Series,
                       what: str, column: str, fix: str, rows: pd.Series | None = None) -> Problem | None:
    """One problem naming each unmatched value with the closest names; `rows` are the ids of the rows naming them."""
    missing = matched.isna() & values.notna()
    unmatched = values[missing].astype(str).unique()
    if not len(unmatched):
        return None
    hints = [f"'{v}' (closest: {', '.join(closest_names(v, candidates)) or 'none'})" for v in unmatched[:10]]
    row_ids = (rows[missing] if rows is not None else values[missing]).astype(str).unique()
    shared = normalised_names(candidates)[normalised_names(candidates).duplicated()].dropna().unique()
    if len(shared):
        fix += f" (names shared by two or more: {', '.join(shared[:5])}: match those by id)"
    return source.problem(f"{len(unmatched)} {what} match nothing: {'; '.join(hints)}", fix, column=column,
                          ids=list(row_ids), count=len(row_ids))


def links_from_table(table: pd.DataFrame, source: _Located, districts: pd.DataFrame,
                     schools: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Problem]]:
    """The link table as given, its districts and schools matched by id or name (district_match, school_match)."""
    problems = []
    district_by = source.settings.get("district_match", "id")
    school_by = source.settings.get("school_match", "id")
    district_ids = match_to(table["district_id"], districts["district_id"], districts.get("name"), district_by)
    problem = _unmatched_problem(source, table["district_id"], district_ids,
                                 districts["name" if district_by == "name" and "name" in districts else "district_id"],
                                 f"districts (by {district_by})", "district_id",
                                 "use the district ids (or names) of the school_districts layer")
    problems += [problem] if problem else []
    school_ids = table["school_id"].astype("string")
    if schools is not None:
        school_ids = match_to(table["school_id"], schools["school_id"], schools.get("name"), school_by)
        problem = _unmatched_problem(source, table["school_id"], school_ids,
                                     schools["name" if school_by == "name" and "name" in schools else "school_id"],
                                     f"schools (by {school_by})", "school_id", "use the school ids (or names) of the schools layer")
        problems += [problem] if problem else []
    share = table["share"] if "share" in table else pd.Series(np.nan, index=table.index)
    return pd.DataFrame({"district_id": district_ids, "school_id": school_ids, "share": share}), problems


def links_from_schools(schools: pd.DataFrame, source: _Located, districts: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Each school's `district` column (a district id or name, district_match) as links."""
    by = source.settings.get("district_match", "id")
    given = schools[schools["district"].notna()]
    district_ids = match_to(given["district"], districts["district_id"], districts.get("name"), by)
    candidates = districts["name"] if by == "name" and "name" in districts else districts["district_id"]
    problem = _unmatched_problem(source, given["district"], district_ids, candidates, f"school districts (by {by})",
                                 "district", "name a district exactly as the school_districts layer does "
                                 f"(sources.schools.district_match: {by})", rows=given["school_id"])
    links = pd.DataFrame({"district_id": district_ids, "school_id": given["school_id"].astype("string"), "share": np.nan})
    return links, [problem] if problem else []


def links_from_districts(districts: pd.DataFrame, source: _Located,
                         schools: pd.DataFrame | None) -> tuple[pd.DataFrame, list[Problem]]:
    """The districts' own school_id (one per district, or school_ids lists) as links."""
    column = "school_ids" if "school_ids" in districts else "school_id"
    pairs = districts[["district_id", column]].explode(column) if column == "school_ids" else districts[["district_id", column]]
    pairs = pairs[pairs[column].notna()].reset_index(drop=True)
    values = pairs[column].astype("string").str.strip()
    pairs, values = pairs[values != ""], values[values != ""]
    by = source.settings.get("school_match", "id")
    school_ids = values
    problems = []
    if schools is not None:
        school_ids = match_to(values, schools["school_id"], schools.get("name"), by)
        candidates = schools["name"] if by == "name" and "name" in schools else schools["school_id"]
        problem = _unmatched_problem(source, values, school_ids, candidates, f"schools named by districts (by {by})",
                                     "school_id", "use ids (or names, school_match: name) that exist in the schools layer, "
                                     "or leave them empty", rows=pairs["district_id"])
        problems += [problem] if problem else []
    return pd.DataFrame({"district_id": pairs["district_id"].astype("string"), "school_id": school_ids, "share": np.nan}), problems


def check_shares(links: pd.DataFrame, source: _Located, tolerance: float) -> list[Problem]:
    """Shares lie in 0..1, and a district gives them for all its schools or none, summing to 1."""
    share = links["share"]
    problems = []
    outside = share.notna() & ((share < 0) | (share > 1))
    if outside.any():
        problems.append(source.problem("shares lie outside 0..1 (a percentage?)", "write shares as fractions 0..1",
                                       column="share", ids=links.loc[outside, "district_id"].unique()))
    given = share.notna().groupby(links["district_id"])
    partial = given.any() & ~given.all()
    if partial.any():
        problems.append(source.problem("some schools of a district have a share and others none",
                                       "give a share for every school of the district, or for none (split by capacity)",
                                       column="share", ids=partial.index[partial]))
    total = share.groupby(links["district_id"]).sum(min_count=1)
    wrong_sum = total.notna() & ((total - 1).abs() > tolerance) & ~partial.reindex(total.index, fill_value=False)
    if wrong_sum.any():
        problems.append(source.problem(f"the shares of a district's schools do not sum to 1 (sums {', '.join(f'{v:g}' for v in total[wrong_sum][:5])})",
                                       "make each district's shares sum to 1", column="share", ids=total.index[wrong_sum]))
    return problems


def warn_loose_schools(links: pd.DataFrame, schools: pd.DataFrame | None, districts: pd.DataFrame) -> None:
    """Warn about districts no school serves, schools that serve no district, and schools named by two or more districts."""
    unserved = districts.loc[~districts["district_id"].isin(links["district_id"]), "district_id"]
    if len(unserved) and schools is not None:
        warn(f"{len(unserved)} school districts are served by no school (district_id {', '.join(map(str, unserved[:10]))}); "
             "their school figures will be empty: check the district-school link")
    if schools is not None:
        loose = schools.loc[~schools["school_id"].isin(links["school_id"]), "school_id"]
        if len(loose):
            warn(f"{len(loose)} schools serve no school district (school_id {', '.join(map(str, loose[:10]))}); "
                 "they count for nearest-school figures only")
    districts_per_school = links.groupby("school_id")["district_id"].nunique()
    shared = districts_per_school[districts_per_school > 1]
    if len(shared):
        warn(f"{len(shared)} schools are named by two or more districts (school_id {', '.join(map(str, shared.index[:10]))}); "
             "check the district-school link if each school should have one district")


def district_schools(districts: pd.DataFrame, schools: pd.DataFrame | None, sources: dict, table: pd.DataFrame | None,
                     *, tolerance: float) -> tuple[pd.DataFrame, list[Problem]]:
    """The district_schools link table (district_id, school_id, share) and the problems found building it."""
    if table is not None:
        links, problems = links_from_table(table, sources["district_schools"], districts, schools)
    elif schools is not None and "district" in schools:
        links, problems = links_from_schools(schools, sources["schools"], districts)
    elif "school_ids" in districts or "school_id" in districts:
        links, problems = links_from_districts(districts, sources["school_districts"], schools)
    else:
        links, problems = pd.DataFrame({c: pd.Series(dtype="string") for c in LINK_COLUMNS[:2]}), []
    links = pd.DataFrame({
        "district_id": links["district_id"].astype("string"),
        "school_id": links["school_id"].astype("string"),
        "share": pd.to_numeric(links["share"], errors="coerce").astype("float64") if "share" in links else np.nan,
    }).reset_index(drop=True)
    if problems:
        return links, problems
    links = links.drop_duplicates(["district_id", "school_id"]).reset_index(drop=True)
    if table is not None:
        problems += check_shares(links, sources["district_schools"], tolerance)
    if not problems:
        warn_loose_schools(links, schools, districts)
    return links, problems
