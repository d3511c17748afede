"""What campaigns and challenges with a control group share: a bound on how many are measured at once, and ids that
are never measured twice (domain/effect.py)."""

from __future__ import annotations

from decimal import Decimal

from ..domain.campaigns import MEASURED_AFTER_END
from ..domain.errors import RuleViolation
from .runtime import Runtime

# A measured purchase records a row per measured campaign or challenge it counts in (on its entry, and the member's
# figures in the wallet head): bounding how many are measured at once bounds those items (20 rows: about 400 bytes).
MAX_MEASURED = 20


def measured_now(rt: Runtime) -> set[str]:
    """The campaigns and challenges (by their measured key) whose figures wallets still keep: running, or ended less
    than MEASURED_AFTER_END ago. Read now, not from the cache: the check is about what is stored."""
    today = rt.now().date().isoformat()
    campaigns = {c.campaign_id for c in rt.store.directory.list_campaigns() if c.measured and c.kept_until >= today}
    challenges = {c.key for c in rt.store.directory.list_challenges() if c.measured and c.kept_until >= today}
    return campaigns | challenges


def check_measured(rt: Runtime, key: str, share: Decimal, *, create: bool, field: str) -> None:
    """A new campaign or challenge does not take an id measured before (the two's figures would mix), and at most
    MAX_MEASURED are measured at once."""
    if create and rt.store.settlements.effect_days(key):
        raise RuleViolation(f"{key} was measured before: give it a new id", field=field)
    if share > 0 and len(measured_now(rt) - {key}) >= MAX_MEASURED:
        raise RuleViolation(
            f"at most {MAX_MEASURED} campaigns and challenges with a control group at once (counted until "
            f"{MEASURED_AFTER_END.days} days after they end)",
            field="control_share",
        )
