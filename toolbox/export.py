"""A month's settlement as files: the operator's document (JSON) and each partner's statement CSV, as the partner
downloads it (the operator reads it through GET /v1/admin/settlements/{period}/statements/{partner_id})."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_export(document: dict[str, Any], out: Path, statement_csv: Callable[[str], str]) -> list[Path]:
    """The files written: settlement-<period>.json, then <partner>-<period>.csv per partner (`statement_csv(partner)`
    fetches one)."""
    out.mkdir(parents=True, exist_ok=True)
    period = document["period"]
    written = [out / f"settlement-{period}.json"]
    written[0].write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    for partner_id in sorted(document["partners"]):
        path = out / f"{partner_id}-{period}.csv"
        path.write_text(statement_csv(partner_id))
        written.append(path)
    return written
