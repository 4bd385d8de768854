"""Load the pipeline's YAML config over the packaged defaults, and resolve its paths."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import InputError, Problem

DEFAULTS_FILE = Path(__file__).parents[1] / "defaults.yaml"  # pipeline/defaults.yaml
DEFAULT_CONFIG = Path("config/pipeline.yaml")


def _merge(base: dict, override: Mapping) -> dict:
    """Merge override into a copy of base, key by key; mappings merge, everything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read_yaml(path: Path) -> dict:
    """Read one YAML mapping, or stop with an error naming the file."""
    if not path.is_file():
        raise InputError(Problem("the config file does not exist", "pass --config with an existing YAML file", file=path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise InputError(Problem(f"the config is not valid YAML ({err})", "fix the YAML syntax", file=path)) from err
    if not isinstance(data, dict):
        raise InputError(Problem("the config is not a mapping of keys to values", "start from config/pipeline.yaml", file=path))
    return data


@dataclass(frozen=True)
class Config:
    """The merged config, with the project root every relative path resolves against."""

    data: dict
    path: Path
    root: Path

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def crs(self) -> str:
        return self.data["crs"]

    def resolve(self, path: str | Path) -> Path:
        """An absolute path for a config path, relative ones taken from the project root."""
        path = Path(path)
        return path if path.is_absolute() else self.root / path

    @property
    def raw_dir(self) -> Path:
        return self.resolve(self.data["paths"]["raw"])

    @property
    def processed_dir(self) -> Path:
        return self.resolve(self.data["paths"]["processed"])

    @property
    def maps_dir(self) -> Path:
        return self.resolve(self.data["paths"]["maps"])

    @property
    def logs_dir(self) -> Path:
        return self.resolve(self.data["paths"]["logs"])

    def processed(self, filename: str) -> Path:
        """The path of a stage output in data/processed."""
        return self.processed_dir / filename

    def section_hash(self, *keys: str) -> str:
        """A stable hash of the named top-level sections, so a stage re-runs only when its config changed."""
        subset = {key: self.data.get(key) for key in sorted(keys)}
        text = json.dumps(subset, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_overrides(self, overrides: Mapping) -> Config:
        """A copy of this config with some keys replaced (tests and scenarios)."""
        return Config(_merge(self.data, overrides), self.path, self.root)


def load_config(path: str | Path | None = None, overrides: Mapping | None = None) -> Config:
    """Read the project config (default config/pipeline.yaml) merged over the packaged defaults, checked
    against the schema (pipeline/core/config_schema/): every mistake is one InputError (exit 2)."""
    from pipeline.core.config_schema import check_config

    path = Path(path) if path is not None else DEFAULT_CONFIG
    path = path.resolve()
    defaults, project = _read_yaml(DEFAULTS_FILE), _read_yaml(path)
    data = _merge(defaults, project)
    if overrides:
        data = _merge(data, overrides)
    data = check_config(data, file=path, project=project, defaults=defaults, defaults_file=DEFAULTS_FILE)
    root = (path.parent / str(data.get("root", "."))).resolve()
    return Config(data, path, root)


def configuration_docs() -> str:
    """The text of docs/configuration.md: every key with its type, unit, range, default and meaning."""
    from pipeline.core.config_schema import configuration_markdown

    return configuration_markdown(_read_yaml(DEFAULTS_FILE))


def write_configuration_docs(path: str | Path) -> Path:
    """Write the config reference (docs/configuration.md), generated from the schema and the defaults."""
    path = Path(path)
    path.write_text(configuration_docs(), encoding="utf-8")
    return path
