"""Ids a partner gives its own campaigns and segments, kept apart from the operator's and other partners'.

A partner's "double" is stored as "<partner>~double": "~" is in no id a request may give (ids are letters, digits
and ._:- at most), so no operator or other partner's id can take it, and a partner names only its own. The partner
sees and uses its own id; the operator sees the scoped one."""

from __future__ import annotations

from .program import OPERATOR

SEPARATOR = "~"


def scoped(owner: str, local_id: str) -> str:
    """The stored id of `owner`'s `local_id` (the operator's ids are stored as given)."""
    return local_id if owner == OPERATOR else f"{owner}{SEPARATOR}{local_id}"


def local(owner: str, stored_id: str) -> str | None:
    """`owner`'s own id for a stored id, or None when the stored id is not theirs."""
    if owner == OPERATOR:
        return None if SEPARATOR in stored_id else stored_id
    prefix = f"{owner}{SEPARATOR}"
    return stored_id[len(prefix) :] if stored_id.startswith(prefix) else None
