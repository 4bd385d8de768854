"""The config schema: what each key of pipeline/defaults.yaml may hold (type, unit, range, meaning).

The values stay in pipeline/defaults.yaml with their comments; this package only says what a value may be,
so the defaults are never kept twice. `check_config` validates the merged config (defaults + project file)
with pydantic and reports every mistake at once as one InputError (exit 2) naming the file, the key's full
dotted path and the fix. `configuration_markdown` writes the reference table of docs/configuration.md.

One job a module:

- `values`: the value types (Share, Positive, Count, Text, ...), `key` and `optional`, the strict `Section`;
- `sources`: a source (`Source`, the keys every layer's source may have) and the layers (`Sources`);
- `sections`: every other section and the whole config (`PipelineConfig`); its docstring says how to add a key;
- `keys`: finding a key in the schema and in the config (its dotted path, range and default in words);
- `check`: `check_config` and the message and fix for each mistake;
- `reference`: the reference tables of docs/configuration.md (`python -m pipeline config-docs`).
"""

from __future__ import annotations

from pipeline.core.config_schema.check import DECIMAL_COMMA, RANGE_ERRORS, RUNTIME_KEYS, check_config
from pipeline.core.config_schema.reference import TABLE_HEAD, configuration_markdown
from pipeline.core.config_schema.sections import (
    Access,
    Execution,
    Ingest,
    Mix,
    Modes,
    Osm,
    OsmWord,
    Paths,
    PipelineConfig,
    Privacy,
    Publish,
    Refresh,
    RuleSet,
    Scenarios,
    SegregationGroup,
)
from pipeline.core.config_schema.sources import Source, Sources
from pipeline.core.config_schema.values import (
    AtLeastOne,
    Count,
    Name,
    NonNegative,
    Positive,
    Rate,
    Section,
    Share,
    Text,
    Whole,
    Year,
    key,
    optional,
)

__all__ = [
    "DECIMAL_COMMA", "RANGE_ERRORS", "RUNTIME_KEYS", "TABLE_HEAD", "OsmWord", "Access", "AtLeastOne", "Count",
    "Execution", "Ingest", "Mix", "Modes", "Name", "NonNegative", "Osm", "Paths", "PipelineConfig",
    "Positive", "Privacy", "Publish", "Rate", "Refresh", "RuleSet", "Scenarios", "Section", "SegregationGroup", "Share",
    "Source", "Sources", "Text", "Whole", "Year", "check_config", "configuration_markdown", "key", "optional",
]
