"""Reading sources without geometry: statistics tables and link tables (CSV, JSON records, any OGR table).

Every table goes through pyogrio, so encodings and `where` filters (OGR SQL) work the same for all of them:
CSV is read with every column as text (ids such as "0147" keep their zeros; separators and decimal commas
as configured); a JSON file holding an array of records (`[{...}, ...]`, as Frederiksberg's open data) is
handed to GDAL as a GeoJSON feature collection without geometries, so its values keep their JSON types.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyogrio

from pipeline.sources.read import CSV_SUFFIXES

SEPARATOR_NAMES = {";": "SEMICOLON", ",": "COMMA", "\t": "TAB", " ": "SPACE"}


def separator_option(settings: dict) -> dict[str, str]:
    """GDAL's CSV open option for the configured `csv_separator` (none when the file's own is detected)."""
    separator = settings.get("csv_separator")
    return {"SEPARATOR": SEPARATOR_NAMES.get(separator, separator)} if separator else {}


def is_json_records(path: Path) -> bool:
    """Whether the file is JSON whose top level is an array (records), not a GeoJSON object."""
    if path.suffix.lower() not in (".json", ".geojson"):
        return False
    with open(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start[:1] == b"["


def is_table(path: Path, settings: dict) -> bool:
    """Whether a source is read as a table: CSV without coordinate or WKT columns, or JSON records."""
    if path.suffix.lower() in CSV_SUFFIXES:
        return not (settings.get("x") or settings.get("wkt"))
    return is_json_records(path)


def read_table(path: Path, settings: dict, problem=None, layer_name: str = "") -> pd.DataFrame:
    """Read a table source with its `where` filter; raises pyogrio/JSON errors for the caller to report.

    A CSV's text is decoded as declared (`encoding`) or detected (UTF-8, else cp1252 with a warning);
    `problem(what, fix)` locates what cannot be decoded (an InputError).
    """
    options: dict = {"read_geometry": False, "use_arrow": True}
    if settings.get("where"):
        options["where"] = settings["where"]
    if settings.get("encoding"):
        options["encoding"] = settings["encoding"]
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
        return frame.query(settings["where"]) if settings.get("where") else frame
    if is_json_records(path):
        return pyogrio.read_dataframe(_records_as_feature_collection(path, settings.get("encoding")), **options)
    if path.suffix.lower() in CSV_SUFFIXES:
        return _read_csv_table(path, settings, options, problem, layer_name)
    return pyogrio.read_dataframe(path, layer=settings.get("layer"), **options)


def _read_csv_table(path: Path, settings: dict, options: dict, problem, layer_name: str) -> pd.DataFrame:
    """A CSV table with every column as text, decoded as declared or detected like every other source."""
    from pipeline.core.errors import InputError
    from pipeline.sources.read import Dataset, read_text_safely

    options = {k: v for k, v in options.items() if k not in ("use_arrow", "encoding")}
    options["AUTODETECT_TYPE"] = "NO"  # every column as text: ids keep leading zeros, numbers parsed later
    options.update(separator_option(settings))
    frame, problems = read_text_safely(Dataset(str(path), settings.get("layer"), ""), settings.get("encoding"),
                                       options, problem, layer_name)
    if problems:
        raise InputError(problems)
    return frame


def _records_as_feature_collection(path: Path, encoding: str | None) -> io.BytesIO:
    """A JSON array of records as a GeoJSON feature collection without geometries (for GDAL)."""
    records = json.loads(path.read_text(encoding=encoding or "utf-8"))
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("the JSON file is not an array of records ({...} objects)")
    features = [{"type": "Feature", "geometry": None, "properties": record} for record in records]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return io.BytesIO(text.encode("utf-8"))
