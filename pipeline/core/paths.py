"""Where the configured sources lie on disk: a source's local file, its Shapefile sidecars, the zip it is in.

The runner hashes these files to decide whether ingest must re-run, and ingest opens them (pipeline/sources/read.py);
both take them from here. Standard library only, so a no-op run stays fast.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from pipeline.core.config import Config

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
VSIZIP = "/vsizip/"


# A file name made from an id holds only these characters (URL-safe, so the link is the name, never re-encoded).
UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
MAX_STEM = 80
RESERVED_STEMS = {"index"}  # maps/areas/index.html is the list of profiles


def id_file_name(value: object, suffix: str = ".html") -> str:
    """The file name of a page about one id (an area's profile): the id itself where it is a plain, short,
    URL-safe name ("0147", "A4"), else a readable safe stem (Danish letters spelled out, other characters as
    _, at most 80 characters) and a short hash of the id, so two ids never share a file and no id is `index`.
    The same name is the link to the page: every writer and every link take it from here."""
    text = str(value)
    stem = UNSAFE_IN_FILE_NAME.sub("_", unicodedata.normalize("NFKD", text.translate(DANISH_LETTERS))
                                   .encode("ascii", "ignore").decode("ascii"))
    if stem == text and 0 < len(stem) <= MAX_STEM and stem.lower() not in RESERVED_STEMS:
        return text + suffix
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"{stem.strip('_')[:MAX_STEM] or 'id'}-{digest}{suffix}"


def source_path(config: Config, settings: dict) -> Path:
    """The local file of a source: its `path`, or for a `url` without one, data/raw/<file name of the URL>."""
    if settings.get("path"):
        return config.resolve(settings["path"])
    return config.raw_dir / Path(urlparse(settings["url"]).path).name


def source_files(config: Config, layer: str) -> list[Path]:
    """The files a configured source consists of (a Shapefile's sidecars, every part's files); [] when not configured."""
    source = config["sources"].get(layer)
    if source and source.get("parts"):
        base = {k: v for k, v in source.items() if k not in ("parts", "path", "url")}
        return [p for part in source["parts"] for p in _files_of(config, {**base, **part})]
    return _files_of(config, source)


def _files_of(config: Config, source: dict | None) -> list[Path]:
    if not source or not (source.get("path") or source.get("url")):
        return []
    path = source_path(config, source)
    archive = archive_file(str(source.get("path") or ""), config.root)
    if archive is not None:  # a layer inside a zip (a /vsizip/ path): the zip is the file read
        return [archive]
    if path.suffix.lower() == ".shp":
        return [p for p in (path.with_suffix(s) for s in SHAPEFILE_SIDECARS) if p.exists()] or [path]
    if path.is_dir():  # a GTFS feed given as a folder: its tables
        return sorted(path.glob("*.txt")) or [path]
    return [path]


def split_vsizip(path_text: str) -> tuple[str, str] | None:
    """A /vsizip/ path (or a path ending in .zip) as (archive, member inside: '' for the whole archive)."""
    text = path_text.replace("\\", "/")
    if text.startswith(VSIZIP):
        text = text[len(VSIZIP):]
    elif not text.lower().endswith(".zip"):
        return None
    match = re.search(r"\.zip(?=/|$)", text, flags=re.IGNORECASE)
    if match is None:
        return None
    return text[:match.end()], text[match.end():].strip("/")


def archive_file(path_text: str, root: Path) -> Path | None:
    """The zip archive on disk of a /vsizip/ or .zip path (relative paths from the project root), else None."""
    parts = split_vsizip(path_text)
    if parts is None:
        return None
    archive = Path(parts[0])
    if archive.is_absolute():
        return archive
    relative, absolute = root / archive, Path("/") / archive
    return relative if relative.exists() or not absolute.exists() else absolute
