"""Checking a config: `check_config`, and each mistake as a Problem naming the file, the key and the fix.

Every pydantic error of the merged config becomes one Problem: the file the key came from (the project file
or defaults.yaml), its full dotted path, what is wrong in words and the fix (the closest known key for a
typo, "write 0.40" for "0,40" or 40 %, the range and the default for a value outside it).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import (
    BaseModel,
    ValidationError,
)

from pipeline.core.config_schema.keys import (
    _decimal_text,
    _default_text,
    _dotted,
    _field,
    _is_section,
    _lookup,
    _model_at,
    _range_text,
)
from pipeline.core.config_schema.sections import PipelineConfig
from pipeline.core.config_schema.sources import Sources
from pipeline.core.errors import InputError, Problem

# Keys the command line adds to the merged config for one run (not written in any config file).
RUNTIME_KEYS = ("run",)


def check_config(data: dict, *, file: Path, project: Mapping, defaults: Mapping, defaults_file: Path) -> dict:
    """The merged config validated against the schema, values coerced where safe (YAML int for a float key).

    Every problem is collected and raised at once as one InputError naming the file and each key's fix.
    """
    runtime = {k: data[k] for k in RUNTIME_KEYS if k in data and k not in project}
    checked = {k: v for k, v in data.items() if k not in runtime}
    try:
        model = PipelineConfig.model_validate(checked)
    except ValidationError as err:
        problems = [_problem(e, file, project, defaults, defaults_file) for e in err.errors()]
        raise InputError(problems) from None
    return {**model.model_dump(exclude_unset=True), **runtime}


def _unknown_key_fix(loc: tuple, origin: Path, defaults_file: Path) -> str:
    """Did you mean the closest known key? (or: add the key to the schema, for a key of defaults.yaml)."""
    parent = _model_at(loc[:-1])
    known = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
    where = _dotted(loc[:-1])
    prefix = f"{where}." if where else ""
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if origin == defaults_file:
        model = parent if isinstance(parent, type) else PipelineConfig
        file = model.__module__.replace(".", "/") + ".py"
        return (f"add a line for it to class {model.__name__} in {file} "
                "(pipeline/core/config_schema/sections.py's docstring shows how)")
    if close:
        return f"did you mean {prefix}{close[0]}? (check the spelling; docs/configuration.md lists every key)"
    return f"remove it; the keys under {where or 'the top level'} are: {', '.join(known)}"


DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+\s*")

RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _keys_from_defaults(loc: tuple) -> bool:
    """Whether every key under loc has its value in defaults.yaml (the top level and its sections but sources)."""
    return loc == () or (len(loc) == 1 and _is_section(_model_at(loc)) and _model_at(loc) is not Sources)


def _value_fix(error: dict, loc: tuple, default: tuple[bool, Any]) -> str:
    """What to write instead of a wrong value."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if "fix" in ctx:
        return ctx["fix"]
    field = _field(loc)
    is_share = _range_text(field).endswith(".. 1") or _range_text(field) == "<= 1"
    if isinstance(value, str) and DECIMAL_COMMA.fullmatch(value):
        number = value.strip().replace(",", ".")
        if kind.startswith("int"):
            return f"write a whole number without separators, e.g. {value.strip().replace(',', '')}"
        if len(value.split(",")[1].strip()) == 3 and not is_share:
            return f"write {number} with a decimal point, or {value.strip().replace(',', '')} without a thousands separator"
        return f"write {number} (a decimal point, not a comma)"
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d+)?\s*%\s*", value):
        percent = float(value.strip().rstrip("%"))
        if is_share:
            return f"write the share as a fraction: {_decimal_text(percent / 100)}"
        return f"write a plain number without %, e.g. {percent:g}"
    if kind == "less_than_equal" and ctx.get("le") == 1 and isinstance(value, (int, float)) and 1 < value <= 100:
        return f"it looks like a percentage: write {_decimal_text(value / 100)}"
    hint = f"; the default is {_default_text(*default)}" if default[0] and default[1] is not None else ""
    if kind in RANGE_ERRORS:
        return f"write a value in the range {_range_text(field)}{hint}"
    if kind == "literal_error":
        allowed = [str(a) for a in get_args(_model_at(loc))] or [ctx.get("expected", "")]
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
        return (f"did you mean {close[0]}? " if close else "") + f"write one of: {', '.join(allowed)}"
    return _type_fix(kind, hint)


def _type_fix(kind: str, hint: str) -> str:
    """The fix for a value of the wrong type."""
    fixes = {
        "int_from_float": "write a whole number",
        "int_parsing": "write a whole number", "int_type": "write a whole number",
        "float_parsing": "write a number with a decimal point", "float_type": "write a number",
        "bool_for_number": "write a number", "bool_parsing": "write true or false", "bool_type": "write true or false",
        "string_type": "write text (in quotes if it looks like a number)",
        "dict_type": "write a mapping of keys to values (indented key: value lines)",
        "model_type": "write a mapping of keys to values (indented key: value lines)",
        "list_type": "write a list, e.g. [a, b]", "too_short": "give more items", "too_long": "give fewer items",
        "missing": "give the key a value", "string_too_short": "write a non-empty text",
        "finite_number": "write a finite number",
    }
    return fixes.get(kind, "correct the value") + hint


def _what(error: dict, key_text: str, loc: tuple) -> str:
    """What is wrong, in words, with the key's full dotted path."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"key {key_text} is not a known {'layer' if loc[:-1] == ('sources',) else 'key'}"
    if isinstance(value, str) and DECIMAL_COMMA.fullmatch(value):
        return f"key {key_text} is the text {value!r}: a number written with a decimal comma"
    if kind == "missing":
        return f"key {key_text} is missing"
    if kind in RANGE_ERRORS:
        field = _field(loc)
        unit = (field.json_schema_extra or {}).get("unit", "") if field is not None else ""
        return f"key {key_text} is {value!r}, outside its range {_range_text(field)}{f' ({unit})' if unit else ''}"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(value, Mapping):
        return f"{key_text}: {message}"
    return f"key {key_text} is {value!r}: {message[0].lower()}{message[1:]}"


def _problem(error: dict, file: Path, project: Mapping, defaults: Mapping, defaults_file: Path) -> Problem:
    """One pydantic error as a Problem naming the file, the key and the fix."""
    loc = tuple(error["loc"])
    in_project = _lookup(project, loc)[0] or not _lookup(defaults, loc)[0]
    origin = file if in_project else defaults_file
    key_text = _dotted(loc) or "(the whole config)"
    if error["type"] == "extra_forbidden":
        fix = _unknown_key_fix(loc, origin, defaults_file)
    elif error["type"] == "missing" and _lookup(project, loc[:-1])[0] and not _keys_from_defaults(loc[:-1]):
        fix = f"add the key {loc[-1]} to {_dotted(loc[:-1])}"
    elif error["type"] == "missing":
        fix = f"give {key_text} a value in {defaults_file} (every key has its default there)"
    else:
        fix = _value_fix(error, loc, _lookup(defaults, loc))
    return Problem(_what(error, key_text, loc), fix, file=origin)
