"""Full tier re-evaluation after a rule change: the explicit operator job that does read every member,
in parallel Scan segments (one message per segment), page by page (a page that leaves more behind sends
itself a continuation message, so no run nears Lambda's 15 minutes)."""

from __future__ import annotations

import json
from typing import Any

from ..services.runtime import Runtime
from ..services.tier_status import reevaluate_member
from .queue import enqueue

JOB = "tier-reevaluation"
PAGE = 200


def segment_names(rt: Runtime) -> list[str]:
    return [str(n) for n in range(rt.settings.scan_segments)]


def run_segment(rt: Runtime, segment: str, cursor: str | None = None) -> int:
    changed = 0
    start: dict[str, Any] | None = json.loads(cursor) if cursor else None
    while True:
        member_ids, start = rt.store.wallets.scan_member_ids(int(segment), rt.settings.scan_segments, PAGE, start)
        changed += sum(1 for member_id in member_ids if reevaluate_member(rt, member_id))
        if start is None:
            return changed
        continuation = {"job": JOB, "shard": segment, "cursor": json.dumps(start)}
        if enqueue(rt, [continuation]):
            return changed  # the rest of the segment runs in its own invocation
