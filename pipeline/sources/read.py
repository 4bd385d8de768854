"""Opening a vector source safely: where GDAL finds it (zips, multi-layer files), and its text encoding.

Everything a source can get wrong before its columns are looked at becomes a `Problem` naming the file,
the layer and the config key that fixes it (CONTRACT 8), never a traceback:
- a `.zip` (with folders inside, one or several layers) or a `/vsizip/` path: the layer inside is found, or
  the layers it holds are listed and `layer` is asked for;
- a file with several layers (a GeoPackage) and no `layer`: its layers are listed, never the first taken;
- text: a Shapefile's .cpg is followed (GDAL does that); without one, and for CSV, the text must be UTF-8;
  text that is not is read as cp1252 (the Windows encoding of Danish Excel and ArcGIS exports) with a
  warning naming the `encoding` key, or, when it is not cp1252 either, reported with the fix;
- garbled text (U+FFFD, or mojibake like "Ã¸" for "ø": UTF-8 read with a one-byte encoding) is reported,
  so a wrong .cpg or `encoding` never reaches the pages.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio

from pipeline.core.errors import Problem
from pipeline.core.log import warn
from pipeline.core.paths import VSIZIP, archive_file, split_vsizip

# Files inside a zip that GDAL reads as a vector layer (a Shapefile by its .shp; sidecars are not layers).
LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".csv", ".txt", ".kml", ".tab", ".sqlite",
                  ".parquet")
CSV_SUFFIXES = (".csv", ".txt")
# The one-byte encoding Danish desktop exports use when they are not UTF-8 (Excel, ArcGIS, MapInfo).
FALLBACK_ENCODING = "cp1252"
# U+FFFD (a byte that could not be decoded), or a UTF-8 lead byte of a Latin letter (Ã, Â) read as a one-byte
# encoding followed by what its continuation byte becomes there: "Ã¸" for "ø", "Ã¦" for "æ", "Ã¥" for "å".
# Neither occurs in Danish text.
MOJIBAKE = re.compile(
    "\ufffd|[\u00c2\u00c3][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


@dataclass(frozen=True)
class Dataset:
    """What GDAL opens for a source: its path (a /vsizip/ path inside a zip), the layer, and its format."""

    gdal_path: str
    layer: str | None
    member: str  # the file inside a zip ("" outside one), for messages

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.member or self.gdal_path).suffix.lower()

    @property
    def is_csv(self) -> bool:
        return self.suffix in CSV_SUFFIXES

    @property
    def is_shapefile(self) -> bool:
        return self.suffix == ".shp"

    @property
    def is_parquet(self) -> bool:
        return self.suffix == ".parquet"


def locate(path: Path, layer: str | None, layer_name: str, root: Path, problem) -> tuple[Dataset | None, Problem | None]:
    """The dataset GDAL should open for a configured path and layer; or the problem (missing, ambiguous)."""
    archive = archive_file(str(path), root)
    if archive is None:
        if not path.exists():
            return None, problem("the file does not exist", f"check sources.{layer_name}.path in the config")
        if path.is_dir() and path.suffix.lower() != ".gdb":  # a File Geodatabase is a folder GDAL reads as one dataset
            inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in LAYER_SUFFIXES)[:5]
            return None, problem("the path is a folder, not a file" + (f" (it holds {', '.join(inside)})" if inside else ""),
                                 f"name the file itself in sources.{layer_name}.path")
        return _with_layer(Dataset(str(path), layer, ""), layer_name, problem)
    if not archive.exists():
        return None, problem(f"the zip file {archive} does not exist", f"check sources.{layer_name}.path in the config")
    if not zipfile.is_zipfile(archive):
        return None, problem("the file is not a readable zip archive", "check that the download is complete")
    inner = split_vsizip(str(path))[1]
    with zipfile.ZipFile(archive) as handle:
        members = [m for m in handle.namelist() if not m.endswith("/")]
    return _zip_member(archive, inner, members, (layer, layer_name), problem)


def _zip_member(archive: Path, inner: str, members: list[str], layers: tuple, problem) -> tuple[Dataset | None, Problem | None]:
    """The layer file inside a zip: the one named, the only one, or the one whose name is `layer`."""
    layer, layer_name = layers
    if inner in members:
        return _with_layer(Dataset(f"{VSIZIP}{archive}/{inner}", layer, inner), layer_name, problem)
    folder = f"{inner}/" if inner else ""
    candidates = [m for m in members if m.startswith(folder) and PurePosixPath(m).suffix.lower() in LAYER_SUFFIXES
                  and "__MACOSX" not in m]
    if layer is not None:
        named = [m for m in candidates if PurePosixPath(m).stem == layer]
        if len(named) == 1:
            return _with_layer(Dataset(f"{VSIZIP}{archive}/{named[0]}", None, named[0]), layer_name, problem)
    if len(candidates) == 1:
        return _with_layer(Dataset(f"{VSIZIP}{archive}/{candidates[0]}", layer, candidates[0]), layer_name, problem)
    if not candidates:
        return None, problem(f"the zip holds no file GDAL reads as a layer under '{inner or '/'}' "
                             f"(files: {', '.join(members[:10]) or 'none'})",
                             f"point sources.{layer_name}.path at the zip holding the layer")
    names = ", ".join(candidates)
    return None, problem(f"the zip holds several layers ({names}) and sources.{layer_name}.layer does not pick one",
                         f"set sources.{layer_name}.layer to the file name without its extension (e.g. "
                         f"'{PurePosixPath(candidates[0]).stem}'), or the path to /vsizip/<zip>/{candidates[0]}")


def _with_layer(dataset: Dataset, layer_name: str, problem) -> tuple[Dataset | None, Problem | None]:
    """The dataset with its layer checked: a named layer must exist; several layers need one named."""
    if dataset.is_parquet or dataset.is_csv:
        return dataset, None
    try:
        layers = [str(name) for name in pyogrio.list_layers(dataset.gdal_path)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as err:
        return None, problem(f"GDAL cannot open the file ({err})", "check that the file is complete and in a format GDAL reads")
    if dataset.layer is not None and dataset.layer not in layers:
        return None, problem(f"the layer does not exist; the file has {', '.join(layers) or 'no layers'}",
                             f"set sources.{layer_name}.layer to one of them")
    if dataset.layer is None and len(layers) > 1:
        return None, problem(f"the file has {len(layers)} layers ({', '.join(layers)}) and no layer is configured",
                             f"set sources.{layer_name}.layer to the one holding {layer_name}")
    return dataset, None


# --- text encodings --------------------------------------------------------------------------------------

def known_encoding(name: str) -> str | None:
    """Python's name for an encoding, or None when it is unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def read_text_safely(dataset: Dataset, encoding: str | None, options: dict, problem, layer_name: str
                     ) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read the dataset with its text decoded as declared (config `encoding`, a .cpg) or detected.

    The Arrow path is the fast one, but it hands bytes through unchecked (pyogrio recodes only a
    Shapefile's text, and refuses a non-UTF-8 encoding for other formats): so text read that way is
    checked for UTF-8, and read again through the non-Arrow path in cp1252 when it is not.
    """
    key = f"sources.{layer_name}.encoding"
    if encoding:
        codec = known_encoding(encoding)
        if codec is None:
            return None, [problem(f"the encoding '{encoding}' is unknown", f"set {key} to e.g. cp1252, latin-1 or utf-8")]
        arrow = codec == "utf-8" or dataset.is_shapefile
        try:
            frame = pyogrio.read_dataframe(dataset.gdal_path, layer=dataset.layer, use_arrow=arrow, encoding=encoding, **options)
        except UnicodeDecodeError as err:
            return None, [problem(f"text is not in the declared encoding {encoding} ({err.reason} at byte {err.start})",
                                  f"set {key} to the file's encoding (Danish exports are often cp1252)")]
        return frame, garbled_text(frame, problem, key)
    frame = pyogrio.read_dataframe(dataset.gdal_path, layer=dataset.layer, use_arrow=True, **options)
    bad = not_utf8_columns(frame)
    if bad:
        try:
            frame = pyogrio.read_dataframe(dataset.gdal_path, layer=dataset.layer, use_arrow=False,
                                           encoding=FALLBACK_ENCODING, **options)
        except UnicodeDecodeError:
            return None, [problem(f"text in {', '.join(bad)} is neither UTF-8 nor cp1252",
                                  f"set {key} to the file's encoding, or export the file as UTF-8")]
        where = f"{dataset.member or dataset.gdal_path}"
        warn(f"{where}: the text of {', '.join(bad)} is not UTF-8 and was read as cp1252 (Windows Western European, "
             f"as Danish Excel and ArcGIS exports); set {key}: cp1252 to say so, or to the file's real encoding")
    return frame, garbled_text(frame, problem, key)


def text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns holding text (not the geometry)."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [c for c in frame.columns if c != geometry and (pd.api.types.is_string_dtype(frame[c])
                                                          or pd.api.types.is_object_dtype(frame[c]))]


def not_utf8_columns(frame: pd.DataFrame) -> list[str]:
    """Text columns holding bytes that are not UTF-8 (Arrow strings are not checked until used)."""
    bad = []
    for column in text_columns(frame):
        if not isinstance(frame[column].dtype, pd.StringDtype):
            continue  # Python strings (or other objects) are decoded already
        try:
            pa.array(frame[column]).validate(full=True)
        except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError, TypeError):
            bad.append(str(column))
    return bad


def garbled_text(frame: pd.DataFrame, problem, key: str) -> list[Problem]:
    """Text decoded with the wrong encoding: U+FFFD replacement characters or UTF-8 mojibake (Ã¸ for ø)."""
    problems = []
    for column in text_columns(frame):
        found = frame[column].astype("string").str.contains(MOJIBAKE, regex=True, na=False).to_numpy(dtype=bool)
        if found.any():
            example = str(frame[column][found].iloc[0])
            rows = [f"row {i + 1}" for i in found.nonzero()[0]]
            problems.append(problem(
                f"text looks garbled (e.g. '{example}'): it was decoded with the wrong encoding",
                f"set {key} to the file's real encoding (utf-8 when 'Ã¸' shows for 'ø'); a Shapefile's .cpg file "
                "overrides the guess, so correct or delete a wrong one", column=str(column), ids=rows))
    return problems
