"""A month's settlement as files: the operator's document (JSON) and each partner's statement (CSV), every one taken
from the operator's document, in the rows the API's own `?format=csv` writes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any


def statement_csv(statement: dict[str, Any]) -> str:
    """One `field,value` row per figure, maps flattened as field.key at any depth, an empty map as one empty row:
    the rows of GET /v1/settlements/{period}?format=csv."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["field", "value"])
    writer.writerows(_rows("", statement))
    return out.getvalue()


def _rows(prefix: str, figures: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict) and value:
            rows += _rows(f"{prefix}{key}.", value)
        elif isinstance(value, dict):
            rows.append([f"{prefix}{key}", ""])
        else:
            rows.append([f"{prefix}{key}", value])
    return rows


def write_export(document: dict[str, Any], out: Path) -> list[Path]:
    """The files written: settlement-<period>.json, then <partner>-<period>.csv per partner."""
    out.mkdir(parents=True, exist_ok=True)
    period = document["period"]
    written = [out / f"settlement-{period}.json"]
    written[0].write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    for partner_id, statement in sorted(document["partners"].items()):
        path = out / f"{partner_id}-{period}.csv"
        path.write_text(statement_csv(statement))
        written.append(path)
    return written
