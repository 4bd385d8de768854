"""The reference tables of docs/configuration.md: every key with its type, unit, range, default and meaning.

Generated from the schema and pipeline/defaults.yaml by `python -m pipeline config-docs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
)

from pipeline.core.config_schema.keys import (
    _default_text,
    _dotted,
    _is_section,
    _lookup,
    _range_text,
    _unwrap,
)
from pipeline.core.config_schema.sections import Mix, PipelineConfig, RuleSet, SegregationGroup
from pipeline.core.config_schema.sources import Source, Sources


def _type_name(annotation: Any) -> str:
    """A key's type in words for the reference table."""
    nullable = get_origin(annotation) in (Union, type(int | None)) and type(None) in get_args(annotation)
    bare = _unwrap(annotation)
    origin = get_origin(bare)
    if origin is Literal:
        name = " \\| ".join(f"`{a}`" if a.strip() else repr(a) for a in get_args(bare))
    elif origin is list:
        name = f"list of {_type_name(get_args(bare)[0])}"
    elif origin is dict:
        name = "mapping"
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        name = "source" if bare is Source else "mapping"
    else:
        name = {float: "number", int: "integer", bool: "true/false", str: "text"}.get(bare, str(bare))
    return f"{name} or null" if nullable else name


def _rows(fields: Mapping[str, Any], prefix: tuple, defaults: Mapping) -> list[str]:
    """One table row per key (nested sections get their own tables)."""
    rows = []
    for name, field in fields.items():
        loc = (*prefix, name)
        unit = (field.json_schema_extra or {}).get("unit", "") or ("share" if _range_text(field) == "0 .. 1" else "")
        default = _default_text(*_lookup(defaults, loc)).replace("|", "\\|")
        rows.append(f"| `{_dotted(loc)}` | {_type_name(field.annotation)} | {unit} | {_range_text(field)} | "
                    f"{default} | {field.description or ''} |")
    return rows


TABLE_HEAD = ["| key | type | unit | range | default | description |", "|---|---|---|---|---|---|"]


def configuration_markdown(defaults: Mapping) -> str:
    """docs/configuration.md: every config key with its type, unit, range, default and meaning."""
    top = {n: f for n, f in PipelineConfig.model_fields.items() if not _is_section(f.annotation)}
    lines = [
        "# Configuration reference",
        "",
        "Generated from the schema (`pipeline/core/config_schema/`) and the defaults (`pipeline/defaults.yaml`) by",
        "`python -m pipeline config-docs`; do not edit by hand (a test compares this file with the generated text).",
        "A project config (`config/pipeline.yaml`) is merged over the defaults key by key and checked against the",
        "schema by every command: an unknown key, a value of the wrong type or out of its range is an input error",
        "(exit 2) naming the key and the fix. Shares are fractions 0..1 (write 0.40, not 40 or \"0,40\").",
        "To add a key: give it a value and a comment in `pipeline/defaults.yaml` and one line in its section's class",
        "in `pipeline/core/config_schema/` (`sections.py`'s docstring shows how), then run `python -m pipeline config-docs`.",
        "",
        "## Top level",
        "",
        *TABLE_HEAD,
        *_rows(top, (), defaults),
    ]
    for name, field in PipelineConfig.model_fields.items():
        if name in top:
            continue
        model = _unwrap(field.annotation)
        lines += ["", f"## {name}", ""]
        if model is Sources:
            lines += [
                "Each layer is a source (the keys in the next table) or null (absent). Layers other than these are errors.",
                "", *TABLE_HEAD, *_rows(Sources.model_fields, (name,), defaults),
                "", "### Keys of a source (`sources.<layer>.<key>`; absent unless given)", "",
                *TABLE_HEAD, *[r.replace("`sources.<layer>.", "`") for r in _rows(Source.model_fields, ("sources", "<layer>"), {})],
            ]
            continue
        lines += _section_tables(model, (name,), defaults)
        if model is Mix:
            lines += ["", "### Keys of a segregation group (`mix.segregation_groups.<name>.<key>`)", "",
                      *TABLE_HEAD, *[r.replace("`mix.segregation_groups.<name>.", "`")
                                     for r in _rows(SegregationGroup.model_fields, ("mix", "segregation_groups", "<name>"), {})]]
            lines += ["", "### Keys of a rule set (`mix.rule_sets.<name>.<key>`; each absent key as in `mix`)", "",
                      *TABLE_HEAD, *[r.replace("`mix.rule_sets.<name>.", "`")
                                     for r in _rows(RuleSet.model_fields, ("mix", "rule_sets", "<name>"), {})]]
    return "\n".join(lines) + "\n"


def _section_tables(model: type[BaseModel], loc: tuple, defaults: Mapping) -> list[str]:
    """A section's table of keys, then a table of its own for each nested section (ingest.osm)."""
    nested = {n: f for n, f in model.model_fields.items() if _is_section(f.annotation)}
    plain = {n: f for n, f in model.model_fields.items() if n not in nested}
    lines = [*TABLE_HEAD, *_rows(plain, loc, defaults)]
    for name, field in nested.items():
        lines += ["", f"### {_dotted((*loc, name))}", "", *_section_tables(_unwrap(field.annotation), (*loc, name), defaults)]
    return lines
