"""What a member tells about themself: the name to greet them by, the partners and interests they prefer, and their
consent per channel with the date they gave or withdrew it. Personal data: erased with the member."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class Consent:
    given: bool
    at: str  # when the member gave or withdrew it (kept while the choice stays the same)


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    preferred_partners: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    consents: dict[str, Consent] = field(default_factory=dict)

    def with_consents(self, choices: dict[str, bool], now: str) -> Profile:
        """The choices given; a channel whose choice did not change keeps the date it was made."""
        consents = dict(self.consents)
        for channel, given in choices.items():
            kept = consents.get(channel)
            if kept is None or kept.given != given:
                consents[channel] = Consent(given, now)
        return replace(self, consents=consents)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "preferred_partners": list(self.preferred_partners),
            "interests": list(self.interests),
            "consents": {channel: {"given": c.given, "at": c.at} for channel, c in sorted(self.consents.items())},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Profile:
        if not raw:
            return cls()
        return cls(
            name=raw.get("name"),
            preferred_partners=tuple(raw.get("preferred_partners") or ()),
            interests=tuple(raw.get("interests") or ()),
            consents={
                channel: Consent(bool(c["given"]), str(c["at"])) for channel, c in (raw.get("consents") or {}).items()
            },
        )
