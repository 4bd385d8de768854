"""Finding a key in the schema and in a config: its type, its field, its dotted path, range and default in words.

Shared by the messages of `check_config` (check.py) and the reference tables (reference.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic import (
    BaseModel,
)

from pipeline.core.config_schema.sections import PipelineConfig


def _lookup(data: Any, loc: tuple) -> tuple[bool, Any]:
    """(found, value) at loc inside nested mappings and lists."""
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False, None
    return True, data


def _unwrap(annotation: Any) -> Any:
    """The annotation without Annotated[...] and `| None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, type(int | None)):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _model_at(loc: tuple) -> Any:
    """The schema type at loc: a model class, dict[...] or a plain type (None when loc leaves the schema)."""
    current: Any = PipelineConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return None
    return _unwrap(current)


def _dotted(loc: tuple) -> str:
    """privacy.min_residents, extent[2]."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _decimal_text(value: float) -> str:
    """0.4 as 0.40, 0.125 as 0.125: how a share is written in the config."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))


def _range_text(field: Any) -> str:
    """The allowed range of a field's value, e.g. '0 .. 1' or '> 0'."""
    low = high = ""
    for item in getattr(field, "metadata", []):
        if isinstance(item, annotated_types.Ge):
            low = f">= {item.ge:g}"
        elif isinstance(item, annotated_types.Gt):
            low = f"> {item.gt:g}"
        elif isinstance(item, annotated_types.Le):
            high = f"<= {item.le:g}"
        elif isinstance(item, annotated_types.Lt):
            high = f"< {item.lt:g}"
        elif isinstance(item, annotated_types.MinLen) and item.min_length > 1:
            low = f"{item.min_length} items"
        elif isinstance(item, annotated_types.MinLen):
            low = "non-empty"
    if low.endswith("items") and high:  # a fixed length: MaxLen is not shown
        high = ""
    if low.startswith(">=") and high.startswith("<="):
        return f"{low[3:]} .. {high[3:]}"
    return " and ".join(t for t in (low, high) if t)


def _field(loc: tuple) -> Any:
    """The pydantic FieldInfo of the key at loc, or None."""
    parent = _model_at(loc[:-1]) if loc else None
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        return parent.model_fields.get(loc[-1])
    return None


def _default_text(found: bool, value: Any) -> str:
    """A default value as YAML writes it, for the table."""
    if not found:
        return ""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_default_text(True, v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).replace("'", "")


def _is_section(annotation: Any) -> bool:
    bare = _unwrap(annotation)
    return isinstance(bare, type) and issubclass(bare, BaseModel)
