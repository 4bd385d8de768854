"""The value types of config keys, and how a key is declared.

A key's type carries its range (Share: 0..1, Positive: > 0, Count: whole >= 0, ...), which the checks and
docs/configuration.md both read; true/false is refused where a number is meant, and an unquoted YAML date
is read as its text. `key` declares a key whose value comes from defaults.yaml or the project file,
`optional` a key of a source that stays absent unless given. Every section is a `Section`: an unknown key
is an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError


def _number_input(value: Any) -> Any:
    """Refuse true/false where a number is meant (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_for_number", "true/false where a number is expected",
                                  {"fix": "write a number"})
    return value


def _text_input(value: Any) -> Any:
    """A YAML date (2024-06-30 unquoted) is read as its ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


_NUMBER = BeforeValidator(_number_input)

Share = Annotated[float, _NUMBER, Field(ge=0, le=1)]

Rate = Annotated[float, _NUMBER, Field(gt=0, le=1)]

Positive = Annotated[float, _NUMBER, Field(gt=0)]

NonNegative = Annotated[float, _NUMBER, Field(ge=0)]

AtLeastOne = Annotated[float, _NUMBER, Field(ge=1)]

Whole = Annotated[int, _NUMBER, Field(ge=1)]

Count = Annotated[int, _NUMBER, Field(ge=0)]

Year = Annotated[int, _NUMBER, Field(ge=1900, le=2100)]

Text = Annotated[str, BeforeValidator(_text_input)]

Name = Annotated[str, Field(min_length=1)]


def key(description: str, unit: str = "") -> Any:
    """A required config key: its value comes from defaults.yaml or the project file, never from here."""
    return Field(description=description, json_schema_extra={"unit": unit})


def optional(description: str, unit: str = "") -> Any:
    """A key of a source, absent unless the project file gives it."""
    return Field(None, description=description, json_schema_extra={"unit": unit})


class Section(BaseModel):
    """A config mapping whose keys are all known: any other key is an error naming the closest known one."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _parse_crs(value: str | None) -> str | None:
    """The CRS text as given, when pyproj understands it."""
    if value is None:
        return value
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as err:
        raise PydanticCustomError("crs", "'{value}' is not a CRS pyproj knows ({err})",
                                  {"value": value, "err": str(err).splitlines()[0],
                                   "fix": "write an EPSG code such as EPSG:25832 (ETRS89 / UTM 32N) or EPSG:4326"}) from err
    return value
