"""The demo municipality run through every stage for tests that read its published pages (Danish, then publish
run again in English; tiles off): each test file builds its own once (pytest-xdist hands a file to one worker)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def run_pipeline(*args: str) -> None:
    """`python -m pipeline <args>` from the repository; a failure shows its stderr."""
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, text=True, capture_output=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr


def write_config(root: Path, language: str, tiles: str = "none") -> Path:
    """The repository's config for a project at root, in the page language, with the tiles given."""
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text(encoding="utf-8"))
    config.update({"root": "..", "language": language})
    config.setdefault("publish", {})["tiles"] = tiles
    (root / "config").mkdir(exist_ok=True)
    path = root / "config" / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def published_demo(tmp_path_factory, prefix: str) -> dict[str, Path]:
    """The demo's maps folder in Danish ("da") and English ("en"), and the Danish project's root ("root")."""
    root = tmp_path_factory.mktemp(f"{prefix}-da")
    run_pipeline("demo-data", "--out", str(root / "data" / "raw"))
    run_pipeline("--quiet", "run", "--config", str(write_config(root, "da")))
    english = tmp_path_factory.mktemp(f"{prefix}-en")
    shutil.copytree(root / "data", english / "data", symlinks=True)
    run_pipeline("--quiet", "run", "--stage", "publish", "--config", str(write_config(english, "en")))
    return {"da": root / "maps", "en": english / "maps", "root": root}
