"""Views of the catalogue of datasets, generated from it: the Makefile's stage rules, the docs' table and picture.

`python -m pipeline.core.datasets makefile|table|diagram|modules` (or `python -m pipeline.core.datasets_views ...`) prints
them: the Makefile includes the rules as stages.mk, and docs/architecture.md holds the table, the
picture and the table of modules with their line counts (a test checks they are current). Like the catalogue, this module imports only the standard
library, so the Makefile can generate its fragment with the system Python before .venv exists.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline.core import datasets
from pipeline.core.stages import STAGES


def makefile_fragment() -> str:
    """Make rules for the stage stamps: each stage after the stages whose datasets it reads."""
    stage_docs = {s.name: s.doc for s in STAGES}
    order = datasets.run_order()
    lines = ["# Generated from pipeline/core/catalogue.py by `python -m pipeline.core.datasets makefile`: do not edit.",
             f"STAGE_NAMES := {' '.join(order)}", f"LAST_STAMP := $(STAMPS)/{order[-1]}.json", ""]
    for name in order:
        before = sorted({d.writer for d in datasets.reads_of(name)}, key=order.index)
        if before:
            lines.append(f"$(STAMPS)/{name}.json: " + " ".join(f"$(STAMPS)/{b}.json" for b in before))
    lines.append("")
    for name in order:
        lines.append(f"{name}: $(STAMPS)/{name}.json ## {stage_docs[name]}")
    lines.append(f".PHONY: {' '.join(order)}")
    return "\n".join(lines) + "\n"


def architecture_table() -> str:
    """A Markdown table of every dataset with its writer and readers, in run order (for docs/architecture.md)."""
    order = datasets.run_order()
    rows = ["| dataset | file | format | written by | read by |", "|---|---|---|---|---|"]
    for name in order:
        for d in datasets.writes_of(name):
            folder = "maps/" if d.folder == datasets.MAPS else ""
            readers = ", ".join(sorted(d.readers, key=order.index)) or "(published / for analysts)"
            rows.append(f"| {d.name} | `{folder}{d.file}` | {d.format} | {d.writer} | {readers} |")
    return "\n".join(rows) + "\n"


def flow_diagram() -> str:
    """The stages in run order, each with what it reads (by writer) and writes: the pipeline in one picture."""
    lines = ["sources (data/raw, config) ─▶ ingest"]
    for name in datasets.run_order():
        reads: dict[str, list[str]] = {}
        for d in datasets.reads_of(name):
            reads.setdefault(d.writer, []).append(d.name)
        lines.append("")
        lines.append(f"[{name}]")
        for writer, names in reads.items():
            lines.append(f"   ◀─ {writer}: {', '.join(names)}")
        lines.append(f"   ─▶ {', '.join(d.name for d in datasets.writes_of(name))}")
    return "\n".join(lines) + "\n"


# The package's layers from the bottom up (tests/test_layout.py checks that imports only run downwards).
LAYER_ORDER = ("pipeline", "core", "sources", "network", "transit", "demo", "ingest", "mix", "access", "scenarios", "publish",
               "cli", "__main__")


def module_table() -> str:
    """A Markdown table of every module of the package, layer by layer: its lines and the first line of its docstring."""
    package = Path(__file__).resolve().parents[1]
    rows = ["| module | lines | what it is |", "|---|---:|---|"]
    found = []
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        layer = parts[1] if len(parts) > 1 and parts[1] != "__init__" else "pipeline"
        text = path.read_text(encoding="utf-8")
        doc = (ast.get_docstring(ast.parse(text)) or "").strip().splitlines()
        found.append((LAYER_ORDER.index(layer), name, len(text.splitlines()), doc[0] if doc else ""))
    for _, name, lines, first in sorted(found):
        rows.append(f"| `{name}` | {lines} | {first.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


VIEWS: dict[str, Callable[[], str]] = {"makefile": makefile_fragment, "table": architecture_table,
                                       "diagram": flow_diagram, "modules": module_table}


def main(argv: list[str]) -> None:
    """Print the view named by the first argument (default: the Makefile fragment)."""
    name = argv[0] if argv else "makefile"
    if name not in VIEWS:
        sys.exit(f"unknown view {name!r}: choose one of {', '.join(VIEWS)}")
    sys.stdout.write(VIEWS[name]())


if __name__ == "__main__":
    main(sys.argv[1:])
