"""Checking and converting a layer's values: ids as text, dates, counts, amounts, shares, flags, vocabularies.

Each step takes the frame, its source and its schema and returns the converted frame with the problems
found (file, layer, column, first ids and the fix), so a layer's problems are all reported at once.
Unknown stays unknown: a blank or a marker such as DST's ".." is null, never 0.
"""

from __future__ import annotations

import numbers

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.columns import plausible_range
from pipeline.core.errors import Problem
from pipeline.core.log import log, warn
from pipeline.ingest.schema import (
    COUNT_BASES,
    TENURE_COLUMNS,
    VOCABULARIES,
    LayerSchema,
    Source,
)
from pipeline.ingest.years import clean_years

TRUE_WORDS = {"true", "t", "1", "yes", "y", "ja", "j"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "nej"}


def _to_text_ids(values: pd.Series) -> pd.Series:
    """Ids as text exactly as given: text is only stripped ("0147" stays "0147"); a whole number 17 or 17.0 is "17"."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        text = values.astype("string")
    elif pd.api.types.is_float_dtype(values):
        text = _number_ids(values)
    else:
        is_number = values.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool), na_action="ignore")
        is_number = is_number.fillna(False).astype(bool)
        text = values.astype("string").str.strip()
        if is_number.any():
            text = text.where(~is_number, _number_ids(pd.to_numeric(values.where(is_number), errors="coerce")))
    return text.where(text != "", pd.NA)


def _number_ids(values: pd.Series) -> pd.Series:
    """Numeric ids as text: whole numbers without a decimal part (GDAL gives some integer ids as 17.0)."""
    numeric = values.astype("float64")
    whole = numeric.notna() & (numeric == np.floor(numeric)) & (numeric.abs() < 2**53)
    text = numeric.astype("string")
    return text.where(~whole, numeric.where(whole).astype("Int64").astype("string"))


def clean_ids(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The layer's id column as unique, non-empty text; other id columns as text."""
    frame = frame.copy()
    problems = []
    for column in (schema.id_column, *schema.ids):
        if column in frame.columns:
            frame[column] = _to_text_ids(frame[column])
    ids = frame[schema.id_column]
    empty = ids.isna()
    if empty.any():
        problems.append(source.problem("ids are empty", f"give every row a {schema.id_column}",
                                       column=schema.id_column, ids=[f"row {i + 1}" for i in np.flatnonzero(empty)]))
    # with a year, an id occurs once per year (statistics over several years)
    key = [schema.id_column, "year"] if "year" in frame.columns else [schema.id_column]
    if source.settings.get("dissolve") and isinstance(frame, gpd.GeoDataFrame) and len(key) == 1:
        frame = _dissolved(frame, schema.id_column)
        ids, empty = frame[schema.id_column], frame[schema.id_column].isna()
    duplicated = ids[frame.duplicated(key, keep=False) & ~empty]
    if len(duplicated):
        per_year = " in the same year" if len(key) > 1 else ""
        fix = (f"make {schema.id_column} unique per year (select one date with sources.{source.layer_name}.where)"
               if len(key) > 1 else f"give each feature its own {schema.id_column}"
               + (f"; if the rows are parts of one feature (DAGI gives a parish in several parts), set "
                  f"sources.{source.layer_name}.dissolve: true to join them, rather than splitting it under new ids"
                  if isinstance(frame, gpd.GeoDataFrame) else ""))
        problems.append(source.problem(f"{duplicated.nunique()} ids occur more than once{per_year}", fix,
                                       column=schema.id_column, ids=duplicated.unique()))
    return frame, problems


def _dissolved(frame: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    """The rows of each id joined into one feature (its parts' union, the first row's other values)."""
    ids = frame[id_column]
    if not ids.duplicated().any():
        return frame
    joined = frame[ids.notna()].dissolve(by=id_column, aggfunc="first", sort=False).reset_index()
    log.info("Joined %d rows into %d features by %s (dissolve)", int(ids.notna().sum()), len(joined), id_column)
    return pd.concat([joined[frame.columns], frame[ids.isna()]], ignore_index=True)


def clean_shares(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Shares and rates as fractions 0..1 (null where blank); a value above 1 looks like a percentage."""
    frame = frame.copy()
    problems = []
    ids = frame[schema.id_column]
    for column in schema.shares:
        if column not in frame.columns:
            continue
        values, _, found = numbers_of(_unknown_as_blank(frame[column], source), source, column, ids)
        problems += found + check_range(values, source, column, ids)
        frame[column] = values
    return frame, problems


def check_range(values: pd.Series, source: Source, column: str, ids: pd.Series) -> list[Problem]:
    """Values outside the column's plausible range (pipeline/core/columns.py), with the likely slip as the fix:
    a percentage where a fraction belongs, thousands written with a dot where a decimal point was read."""
    low, high = plausible_range(column)
    problems = rows_where(source, values < 0, "values are negative", f"{column} is 0 or more", column, ids) \
        if low >= 0 else []
    above, below = values > high, (values < low) & (values >= 0)
    if above.any():
        first = float(values[above].iloc[0])
        if low <= first / 100 <= high:
            what, fix = (f"values are above {high:g}: this looks like a percentage",
                         f"{first:g} looks like a percent: write {first / 100:g} ({column} is a fraction; divide "
                         "percentages by 100)")
        else:
            what, fix = f"values are above {high:,g}, more than any {column}", "check the column mapped and its unit"
        problems += rows_where(source, above, what, fix, column, ids)
    if below.any():
        first = float(values[below].iloc[0])
        fix = (f"{first:g} looks like {first * 1000:,.0f} with a dot for thousands: write {first * 1000:.0f}, or set "
               f"sources.{source.layer_name}.csv_decimal: ',' for Danish numbers (245.000 and 1,5)"
               if low <= first * 1000 <= high else "check the column mapped and its unit")
        problems += rows_where(source, below, f"values are below {low:,g}, less than any {column}", fix, column, ids)
    return problems


def fill_dwellings_other(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """dwellings_other absent while tenure counts are given: the configured tenure classes cover all dwellings (0).

    A blank dwellings_other in a given column stays unknown, and without any tenure column nothing is filled.
    """
    if "dwellings_other" not in schema.counts or "dwellings_other" in frame.columns:
        return frame, []
    if not any(c in frame.columns for c in TENURE_COLUMNS):
        return frame, []
    return frame.assign(dwellings_other=0), []


# A number as written under each decimal mark, thousands grouped or not: "245.000", "1.234,5" and "1,5" under
# ","; "245,000", "1234.5" and "1.5e3" under ".". Anything else cannot be read in the declared convention.
NUMBER_PATTERNS = {
    ",": r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?",
    ".": r"[+-]?(\d{1,3}(,\d{3})+(\.\d+)?|\d+\.?\d*|\.\d+)([eE][+-]?\d+)?",
}


def _parse_numbers(values: pd.Series, decimal: str) -> pd.Series:
    """Numbers from numeric or text columns, each value read in the declared convention (csv_decimal): the
    thousands separator only between groups of three digits, never by deleting every dot."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    is_number = values.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool), na_action="ignore")
    is_number = is_number.fillna(False).astype(bool)  # numbers among text (JSON) are numbers already
    text = values.astype("string").str.strip()
    readable = text.str.fullmatch(NUMBER_PATTERNS[decimal]).fillna(False).astype(bool)
    thousands = "." if decimal == "," else ","
    text = text.where(readable).str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    parsed = pd.to_numeric(text, errors="coerce")
    return parsed.where(~is_number, pd.to_numeric(values.where(is_number), errors="coerce")).astype("float64")


def numbers_of(raw: pd.Series, source: Source, column: str, ids: pd.Series,
               fix: str = "write plain numbers in this column") -> tuple[pd.Series, pd.Series, list[Problem]]:
    """A column's values as numbers (blank: null), which values are text but no number, and that problem."""
    decimal = source.settings.get("csv_decimal") or "."
    numbers = _parse_numbers(raw, decimal)
    not_number = numbers.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if decimal == "," and raw.astype("string")[not_number].str.contains(".", regex=False).any():
        fix = (f"under sources.{source.layer_name}.csv_decimal ',' a dot only separates thousands (245.000): write "
               "decimals with a comma (1,2), or set csv_decimal: '.' if the file uses decimal points")
    return numbers, not_number, rows_where(source, not_number, "values are not numbers", fix, column, ids)


def rows_where(source: Source, found: pd.Series, what: str, fix: str, column: str | None,
               ids: pd.Series) -> list[Problem]:
    """The problem `what` in `column`, naming the ids of the rows where `found` holds; none when it holds nowhere."""
    return [source.problem(what, fix, column=column, ids=ids[found])] if found.any() else []


def _unknown_as_blank(values: pd.Series, source: Source) -> pd.Series:
    """Markers of suppressed or missing figures (unknown_values, e.g. DST's "..") as blanks: unknown, not 0."""
    markers = [str(m) for m in source.settings.get("unknown_values") or ()]
    if not markers or pd.api.types.is_numeric_dtype(values):
        return values
    return values.where(~values.astype("string").str.strip().isin(markers), pd.NA)


def clean_numbers(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Counts as non-negative integers and amounts as non-negative numbers; report what is not."""
    frame = frame.copy()
    problems = []
    ids = frame[schema.id_column]
    for column in (*schema.counts, *schema.amounts):
        if column not in frame.columns:
            continue
        numbers, not_number, found = numbers_of(_unknown_as_blank(frame[column], source), source, column, ids)
        if column in schema.required:
            found += rows_where(source, numbers.isna() & ~not_number, "values are empty",
                                "fill in a count for every row (0 where there is none)", column, ids)
        if column in schema.counts:
            found += rows_where(source, numbers < 0, "counts are negative", "counts must be 0 or more", column, ids)
            fractional = (numbers != np.floor(numbers)) & numbers.notna()
            found += rows_where(source, fractional, "counts are not whole numbers", "counts must be whole numbers",
                                column, ids)
        else:
            found += check_range(numbers, source, column, ids)
        problems += found
        if column in schema.counts:
            frame[column] = numbers.round().astype("Int64") if numbers.isna().any() else numbers.round().astype("int64")
        else:
            frame[column] = numbers
    return frame, problems


def check_count_bases(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> list[Problem]:
    """Sub-counts may not exceed their base (COUNT_BASES: e.g. taxpayers_15_64 <= residents); unknown counts
    are not compared."""
    problems = []
    for parts, base in COUNT_BASES:
        if base not in frame.columns or any(part not in frame.columns for part in parts):
            continue
        total = sum(pd.to_numeric(frame[part]).astype("Float64") for part in parts)
        over = (total > pd.to_numeric(frame[base]).astype("Float64")).fillna(False).astype(bool)
        if over.any():
            named = " + ".join(parts)
            problems.append(source.problem(
                f"{named} exceeds {base}",
                f"check the counts: {named} {'are' if len(parts) > 1 else 'is'} part of {base} (docs/bad-input.md lists "
                "every count and its base)", column=parts[0], ids=frame.loc[over, schema.id_column]))
    return problems


def warn_counts_equal_to_base(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> None:
    """Warn where a sub-count equals its base in (nearly) every row: as implausible as one above it (the
    column mapped is most likely the base itself, e.g. `antal_samlet` where the group's count is `antal`). How
    nearly: config ingest.equal_to_base (share of the rows compared, at least min_rows of them)."""
    share, min_rows = float(source.settings["equal_to_base"]["share"]), int(source.settings["equal_to_base"]["min_rows"])
    for parts, base in COUNT_BASES:
        if len(parts) != 1 or base not in frame.columns or parts[0] not in frame.columns:
            continue
        part = pd.to_numeric(frame[parts[0]]).astype("Float64")
        whole = pd.to_numeric(frame[base]).astype("Float64")
        compared = (part.notna() & whole.notna() & (whole > 0)).fillna(False).astype(bool)
        equal = compared & (part == whole).fillna(False).astype(bool)
        if compared.sum() >= min_rows and equal.sum() >= share * compared.sum():
            warn(str(source.problem(
                f"{parts[0]} equals {base} in {int(equal.sum()):,} of {int(compared.sum()):,} rows, which no real "
                f"{parts[0]} does", f"check that sources.{source.layer_name} maps {parts[0]} to the group's own count "
                f"(in files that give both, the group's count is often `antal` and the total `antal_samlet`)",
                column=parts[0], ids=frame.loc[equal, schema.id_column], count=int(equal.sum()))))


def _parse_flags(values: pd.Series, default: bool) -> tuple[pd.Series, pd.Series]:
    """Booleans from bool, 0/1 or yes/no text; returns the flags and a mask of unreadable values."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(default).astype(bool), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(np.where(text.isin(TRUE_WORDS), True, np.where(text.isin(FALSE_WORDS), False, default)),
                       index=values.index)
    unreadable = text.notna() & ~text.isin(TRUE_WORDS | FALSE_WORDS) & (text != "")
    return parsed.astype(bool), unreadable


def clean_flags_and_defaults(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Bool columns parsed (with the contract's defaults) and absent optional columns filled."""
    frame = frame.copy()
    problems = []
    for column, default in schema.flags.items():
        if column not in frame.columns:
            frame[column] = default
            continue
        frame[column], unreadable = _parse_flags(frame[column], default)
        problems += rows_where(source, unreadable, "values are not true/false", "write true or false (or 1/0, ja/nej)",
                               column, frame[schema.id_column])
    for column, default in schema.defaults.items():
        if column not in frame.columns:
            frame[column] = default
        else:
            frame[column] = frame[column].fillna(default)
    return frame, problems


def clean_vocabularies(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Columns with a fixed vocabulary (area_type, candidate kind, green kind) in lower case, holding only its words."""
    frame = frame.copy()
    problems = []
    for column, words in VOCABULARIES.get(source.layer_name, {}).items():
        if column not in frame.columns:
            continue
        frame[column] = frame[column].astype("string").str.strip().str.lower()
        wrong = frame[column].notna() & ~frame[column].isin(words)
        problems += rows_where(source, wrong, f"values outside {', '.join(sorted(words))}", "use one of those words",
                               column, frame[schema.id_column])
    return frame, problems


def clean_text(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Text columns (names, a school's district, kinds) stripped, a blank cell null: a blank district cell in a
    CSV is no district, never a district named ''. A required text column may not be blank."""
    numeric = {*schema.counts, *schema.amounts, *schema.shares, *schema.flags, schema.id_column, *schema.ids,
               "year", "date", "geometry", "school_ids"}
    frame = frame.copy()
    problems = []
    for column in (c for c in frame.columns if c not in numeric):
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
        blank = is_text & (values.astype("string").str.strip() == "").fillna(False).astype(bool)
        frame[column] = values.where(~blank, None)
        if column in schema.required:
            problems += rows_where(source, blank | values.isna(), "values are empty", f"give every row its {column}",
                                   column, frame[schema.id_column])
    return frame, problems


def clean_values(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Every value of a layer checked and converted, in order: dates and years (pipeline/ingest/years.py), ids, counts and amounts,
    shares, dwellings_other, flags and defaults, vocabularies, then sub-counts against their bases."""
    frame, problems = clean_years(frame, source, schema, joined=bool(source.settings.get("parts")))
    for step in (clean_ids, clean_text, clean_numbers, clean_shares, fill_dwellings_other, clean_flags_and_defaults,
                 clean_vocabularies):
        frame, more = step(frame, source, schema)
        problems += more
    problems += check_count_bases(frame, source, schema)
    if not problems:
        warn_counts_equal_to_base(frame, source, schema)
    return frame, problems
