"""Time the demo generator, a first `make all`, a second one with nothing changed, and an unchanged refresh.

Runs in a temporary copy of the project with this virtual environment, and prints one line per figure.
Usage: python benchmarks/make_all.py [--scale 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path) -> float:
    """Seconds a command took; stop with its output when it fails."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def copy_project(root: Path) -> None:
    """The code, config and Makefile, with empty data folders."""
    for name in ("pipeline", "config"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("data/raw", "data/processed", "maps", "logs"):
        (root / folder).mkdir(parents=True)
    os.utime(root / "pyproject.toml", (0, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    venv = Path(sys.prefix)
    python = str(venv / "bin" / "python")
    make = ["make", f"VENV={venv}", "QUIET=--quiet"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        copy_project(root)
        (root / ".installed").touch()
        make.append(f"INSTALLED={root / '.installed'}")
        figures = {
            "demo-data": timed([python, "-m", "pipeline", "demo-data", "--out", "data/raw", "--scale", str(args.scale)], root),
            "make all (first)": timed([*make, "all"], root),
            "pages written": float(len(list((root / "maps").glob("*.html")))),
            "make all (nothing changed)": timed([*make, "all"], root),
            "refresh (nothing changed)": timed([python, "-m", "pipeline", "--quiet", "refresh"], root),
        }
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {date.today()}")
    print(f"scale: {args.scale}")
    for name, value in figures.items():
        print(f"{name:28s} {value:8.2f}" + ("" if name == "pages written" else " s"))


if __name__ == "__main__":
    main()
