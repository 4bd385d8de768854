"""Atomic release of the published set (pages with assets, areas tables), for the nightly refresh.

Layout under the project root (the folder name is publish.release_dir):

    published/releases/<run_id>/maps/...       the pages and maps/assets/
    published/releases/<run_id>/data/areas.*   areas.parquet, areas.gpkg, areas.csv
    published/current  -> releases/<run_id>    swapped atomically (temp symlink, then os.replace)
    published/previous -> releases/<earlier>   kept for rollback
    maps                      -> published/current/maps         (config paths.maps, created once)
    data/processed/areas.*    -> published/current/data/areas.* (created once)

A release is built in releases/.staging-<run_id>-<random>/ and renamed into place only when complete, so a
run killed at any point (even SIGKILL) leaves `current` pointing at the previous, complete set. Leftover
staging folders are removed by the next release.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.errors import PipelineError
from pipeline.core.log import log

MAPS = "maps"
DATA = "data"
# the areas tables: the catalogue's publish outputs in data/processed (areas.parquet, areas.gpkg, areas.csv)
TABLE_FILES = tuple(d.file for d in datasets.writes_of("publish") if d.folder == datasets.PROCESSED)
STAGING_PREFIX = ".staging-"
PLACEHOLDERS = {".gitkeep"}


def release_root(config: Config) -> Path:
    """The published/ folder under the project root."""
    return config.resolve(config["publish"].get("release_dir", "published"))


def current_release(config: Config) -> Path | None:
    """The release folder `published/current` points to, if any."""
    link = release_root(config) / "current"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _swap_link(link: Path, target: Path) -> None:
    """Point the symlink `link` at target (relative), atomically: a temp symlink renamed over it."""
    link.parent.mkdir(parents=True, exist_ok=True)
    relative = os.path.relpath(target, link.parent)
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(relative, tmp)
    os.replace(tmp, link)


def _run_id(config: Config) -> str:
    """This run's id (set by the runner in the config), or a new one for a release made outside a run."""
    run = config.get("run") or {}
    if run.get("id"):
        return str(run["id"])
    from pipeline.core.runs import new_run_id

    return new_run_id()


def _free_name(releases: Path, run_id: str) -> Path:
    """releases/<run_id>, with a counter when that run id was released already."""
    target, n = releases / run_id, 1
    while target.exists():
        n += 1
        target = releases / f"{run_id}.{n}"
    return target


def _link_outputs(config: Config) -> None:
    """Create, once, the symlinks `maps` and data/processed/areas.* into published/current."""
    current = release_root(config) / "current"
    maps = config.maps_dir
    if maps.is_dir() and not maps.is_symlink():
        extra = [p.name for p in maps.iterdir() if p.name not in PLACEHOLDERS]
        if extra:
            raise PipelineError(
                f"{maps} is a folder with files ({', '.join(sorted(extra)[:5])}); publish replaces it with a link to "
                f"{current / MAPS}. Move those files elsewhere and run again.")
        shutil.rmtree(maps)
    if os.path.realpath(maps) != os.path.realpath(current / MAPS) or not maps.is_symlink():
        _swap_link(maps, current / MAPS)
    for name in TABLE_FILES:
        link = config.processed(name)
        if not link.is_symlink() or os.path.realpath(link) != os.path.realpath(current / DATA / name):
            _swap_link(link, current / DATA / name)


def _prune(releases: Path, keep: set[Path], keep_previous: int) -> None:
    """Delete leftover staging folders and the releases beyond the ones kept."""
    for staging in releases.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(staging, ignore_errors=True)
    earlier = sorted((p for p in releases.iterdir() if p.is_dir() and p.resolve() not in keep
                      and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in earlier[max(keep_previous - (len(keep) - 1), 0):]:
        shutil.rmtree(old, ignore_errors=True)


def release(config: Config, build: Callable[[Path], None]) -> Path:
    """Build a release with `build(folder)` in a staging folder and swap it in as a whole; return it.

    `build` writes folder/maps/... and folder/data/areas.*. If it raises, nothing published changes.
    """
    root = release_root(config)
    releases = root / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    for staging in releases.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(staging, ignore_errors=True)
    run_id = _run_id(config)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{run_id}-", dir=releases))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the published set is read by the web server
    try:
        build(staging)
        target = _free_name(releases, run_id)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.utime(target)
    before = current_release(config)
    _swap_link(root / "current", target)
    if before is not None and before != target.resolve():
        _swap_link(root / "previous", before)
    _link_outputs(config)
    keep_previous = int(config["publish"].get("keep_previous", 1))
    keep = {target.resolve()}
    previous = root / "previous"
    if previous.is_symlink() and keep_previous > 0:
        keep.add(previous.resolve())
    elif previous.is_symlink():
        previous.unlink()
    _prune(releases, keep, keep_previous)
    log.info("Published release %s (previous: %s)", target.name, before.name if before else "none")
    return target


def rollback(config: Config) -> Path:
    """Point `current` back at `previous` (and `previous` at what was current); return the release now current."""
    root = release_root(config)
    previous = root / "previous"
    if not previous.is_symlink() or not previous.resolve().is_dir():
        raise PipelineError(f"there is no previous release to roll back to ({previous} is missing)")
    target = previous.resolve()
    before = current_release(config)
    _swap_link(root / "current", target)
    if before is not None:
        _swap_link(previous, before)
    _link_outputs(config)
    log.info("Rolled back to release %s (was %s)", target.name, before.name if before else "none")
    return target
