"""Run the stages in order, skipping those whose inputs, config and version did not change.

Out-of-date means content, not clocks: a stage's key is the sha256 of its config sections, the package
version, a hash of its code (its module and what it imports, and the code of the stages it reads from),
and the hashes of the files it reads (the catalogue, pipeline/core/catalogue.py, says which). The key and the hashes of what it wrote are kept in a stamp
(data/processed/.stamps/<stage>.json); a stage whose key matches its stamp, and whose outputs all exist,
is skipped. `make all` and `python -m pipeline run` go through this same check.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import json
import os
import platform
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from pipeline import __version__
from pipeline.core import datasets
from pipeline.core.atomic import write_json, write_text
from pipeline.core.config import Config
from pipeline.core.log import take_warnings
from pipeline.core.runs import now_iso
from pipeline.core.stages import Stage
from pipeline.core.stages import stage as stage_named

REPORTED_PACKAGES = (
    "geopandas", "shapely", "pyogrio", "pyarrow", "pandas", "numpy", "rasterio", "exactextract", "scipy",
    "folium", "branca", "mapclassify", "dask", "dask-geopandas", "distributed", "PyYAML",
)
HASH_CHUNK_BYTES = 1 << 20


def stamps_dir(config: Config) -> Path:
    """Where the stage stamps and the file-hash cache live."""
    return config.processed_dir / ".stamps"


class FileHashes:
    """sha256 of files, cached by (size, mtime) so an unchanged tree is checked without reading it."""

    def __init__(self, cache_path: Path):
        self.cache_path = cache_path
        try:
            self.cache = json.loads(cache_path.read_text())
        except (OSError, ValueError):
            self.cache = {}

    def __call__(self, path: Path) -> str | None:
        """The file's sha256, or None when it does not exist."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        if path.is_dir():  # a folder (a File Geodatabase; any other is bad input ingest names): its files' stamps
            stamps = sorted(f"{f.relative_to(path)} {f.stat().st_size} {f.stat().st_mtime_ns}"
                            for f in path.rglob("*") if f.is_file())
            return hashlib.sha256("\n".join(stamps).encode("utf-8")).hexdigest()
        key = str(path)
        cached = self.cache.get(key)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            return cached[2]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
        self.cache[key] = [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
        return self.cache[key][2]

    def save(self) -> None:
        """Keep the cache for the next run."""
        write_text(json.dumps(self.cache), self.cache_path)


@dataclass
class StageResult:
    """What one stage did in this run."""

    name: str
    status: str  # "ran" or "skipped"
    seconds: float
    outputs: dict[str, str | None] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _read_stamp(config: Config, stage: Stage) -> dict | None:
    try:
        return json.loads((stamps_dir(config) / f"{stage.name}.json").read_text())
    except (OSError, ValueError):
        return None


PACKAGE = Path(__file__).parents[1]  # pipeline/


def module_file(module: str) -> Path | None:
    """The source file of a pipeline module (a package's __init__.py), or None when it is not one."""
    parts = module.split(".")
    if parts[0] != PACKAGE.name:
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path, module: str) -> set[str]:
    """The modules a pipeline source file imports (anywhere in it, also inside functions), by absolute name."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pipeline import io`
    return found


@functools.cache
def module_files(module: str) -> tuple[Path, ...]:
    """The source files of a pipeline module and of every pipeline module it imports, transitively.

    Found statically with `ast` (nothing is imported), so checking an unchanged tree stays fast. A module
    brings its packages' __init__.py files, which Python runs when importing it. Cached for the process:
    a run checks the code once.
    """
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if prefix in seen:
                continue
            path = module_file(prefix)
            if path is None:
                continue
            seen[prefix] = path
            todo.extend(_imported(path, prefix))
    return tuple(sorted(set(seen.values()) | {f for p in seen.values() for f in package_data(p)}))


# Folders of a package that hold what its code reads at run time (page templates, message catalogues): part
# of the code of every stage that imports the package, so editing a template re-runs publish.
PACKAGE_DATA_FOLDERS = ("templates", "locale")


def package_data(path: Path) -> list[Path]:
    """The files of a package's data folders, for a package's __init__.py (none for a plain module)."""
    if path.name != "__init__.py":
        return []
    return sorted(f for folder in PACKAGE_DATA_FOLDERS for f in (path.parent / folder).rglob("*") if f.is_file())


def code_hash(hashes: FileHashes, stage: Stage) -> str:
    """A hash of the code of this stage and of the stages before it whose datasets it reads.

    Each stage's code is its module and the pipeline modules it imports; the earlier stages' code is in it
    too, so an edit to one stage's module re-runs that stage and the stages after it, never those before.
    """
    modules = [stage_named(name).module for name in (*datasets.upstream(stage.name), stage.name)]
    files = sorted({f for module in modules for f in module_files(module)})
    return hashlib.sha256("".join(f"{p.relative_to(PACKAGE)}={hashes(p)}" for p in files).encode()).hexdigest()


def stage_key(config: Config, stage: Stage, hashes: FileHashes, written: dict[str, dict[str, str | None]]) -> str:
    """The content key of a stage: its config sections, the package version, its code, the hashes of its inputs.

    A dataset an earlier stage wrote counts with the hash its writer recorded when it wrote it (`written`,
    by stage); a file no stage of this run accounts for is hashed as it lies.
    """
    parts = [__version__, code_hash(hashes, stage), config.section_hash(*stage.config_keys)]
    writer_of = {str(d.path(config)): d.writer for d in datasets.reads_of(stage.name)}
    for path in datasets.inputs(config, stage.name):
        recorded = written.get(writer_of.get(str(path), ""), {})
        parts.append(f"{path.name}={recorded[str(path)] if str(path) in recorded else hashes(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _row_count(path: Path) -> int | None:
    """Rows of a Parquet output, from its metadata (cheap)."""
    if path.suffix != ".parquet" or not path.exists():
        return None
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _run_stage(config: Config, stage: Stage, key: str, hashes: FileHashes) -> StageResult:
    """Run one stage's `run(config)` and stamp it with its key, output hashes, rows and warnings."""
    take_warnings()
    started = time.perf_counter()
    module = importlib.import_module(stage.module)
    with datasets.running(stage.name) as used:
        module.run(config)
    seconds = time.perf_counter() - started
    outputs = {str(p): hashes(p) for p in datasets.outputs(config, stage.name)}
    rows = {Path(p).name: n for p in outputs if (n := _row_count(Path(p))) is not None}
    result = StageResult(stage.name, "ran", seconds, outputs, rows, take_warnings())
    # the datasets the stage asked for (read or checked for): a declared input never asked for is a stale declaration
    stamp = {"key": key, "seconds": seconds, "outputs": outputs, "rows": rows, "warnings": result.warnings,
             "used": sorted(used)}
    write_json(stamp, stamps_dir(config) / f"{stage.name}.json")
    return result


def run_stages(
    config: Config, names: list[str] | None = None, *, force: bool = False, progress=None
) -> list[StageResult]:
    """Run the named stages (default all) in pipeline order; skip the up-to-date ones unless force.

    The results cover every stage that has run at some time, so run.json always shows the whole pipeline:
    "ran", "skipped" (up to date) or "not selected" (outside --stage).
    """
    hashes = FileHashes(stamps_dir(config) / "hashes.json")
    written: dict[str, dict[str, str | None]] = {}
    results = []
    with ExitStack() as stack:
        if config["execution"].get("backend", "local") != "local":
            from pipeline.core.parallel import executor  # connect before anything is written

            stack.enter_context(executor(config))
        stack.callback(hashes.save)
        for stage in (stage_named(name) for name in datasets.run_order()):
            key = stage_key(config, stage, hashes, written)
            stamp = _read_stamp(config, stage)
            selected = names is None or stage.name in names
            up_to_date = (
                stamp is not None
                and stamp.get("key") == key
                and all(Path(p).exists() for p, digest in stamp.get("outputs", {}).items() if digest)
            )
            if selected and (force or not up_to_date):
                if progress:
                    progress(f"{stage.name}: running ({stage.doc})")
                result = _run_stage(config, stage, key, hashes)
            elif stamp is not None:
                status = "skipped" if selected else "not selected"
                result = StageResult(
                    stage.name, status, 0.0, stamp.get("outputs", {}), stamp.get("rows", {}), stamp.get("warnings", [])
                )
                if selected:
                    _touch(stamps_dir(config) / f"{stage.name}.json")
            else:
                continue
            written[stage.name] = result.outputs
            results.append(result)
            if selected and progress:
                progress(f"{stage.name}: {result.status} in {result.seconds:.1f} s")
    return results


def _touch(path: Path) -> None:
    """Mark a skipped stage as checked now, so make's timestamps agree with the content check."""
    if path.exists():
        os.utime(path)


def input_files(config: Config, hashes: FileHashes) -> list[dict]:
    """Each configured raw input: path, size and sha256 (for run.json)."""
    files = []
    for path in datasets.inputs(config, "ingest"):
        if path.exists():
            files.append({"path": str(path), "size": path.stat().st_size, "sha256": hashes(path)})
    return files


def package_versions() -> dict[str, str]:
    """Versions of Python, this package and the libraries the results depend on."""
    versions = {"python": platform.python_version(), "social-balance-pipeline": __version__}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_record(
    config: Config, run_id: str, started: str, results: list[StageResult], status: str, error: str | None = None,
    *, signal: str | None = None,
) -> dict:
    """The content of data/processed/run.json (CONTRACT 3); `signal`: the signal that stopped a killed run."""
    hashes = FileHashes(stamps_dir(config) / "hashes.json")
    warnings = [w for r in results for w in r.warnings]
    return {
        "run_id": run_id,
        "status": status,
        "started": started,
        "ended": now_iso(),
        "config_path": str(config.path),
        # the run's own id and start time are not configuration: leave them out so equal configs hash equal
        "config_hash": config.section_hash(*(key for key in config.data if key != "run")),
        "data_note": config.get("data_note", ""),
        "inputs": input_files(config, hashes),
        "packages": package_versions(),
        "stages": [
            {"name": r.name, "status": r.status, "seconds": round(r.seconds, 3), "rows": r.rows, "warnings": len(r.warnings)}
            for r in results
        ],
        "warnings": warnings,
        "error": error,
        "signal": signal,
    }
