"""Mapping files: a declarative description of how rows of a foreign export become events.

A mapping file (YAML) lists `events:` entries; each makes one event per source row, or with
`group_by` one event per group of rows (e.g. an order built from its order-line rows). Values are
mapping nodes: literals, nested objects and lists, or one operator (`column`, `template`, `uuid5`,
`timestamp`, `add`/`subtract`/`multiply`/`divide`, `round`, `sum`/`min`/`max`/`first`,
`each_row`, `row_number`, `const`), optionally with `default` and `type`. The vocabulary is
documented in docs/decisions/backfill.md and in the annotated files in `ingest/mappings/`.

The whole file is checked when it is loaded: operators and their options, column lists, and every
payload field against the event's contract (unknown or missing fields fail there, not per row).
Numbers are `Decimal` from the YAML literal to the output (the loader reads YAML floats as
`Decimal`), so money is exact; a money field with more than two decimal places is an error unless
the mapping rounds it (`round`, ROUND_HALF_UP unless it says `mode: half_even`).
"""

from ingest.mapping.files import ENVELOPE_FIELDS, EventMapping, MappedEvent, load_mapping
from ingest.mapping.nodes import BackfillError, Row

__all__ = ["ENVELOPE_FIELDS", "BackfillError", "EventMapping", "MappedEvent", "Row", "load_mapping"]
