"""Capacity of a warm earn and a warm spend at several breadths of a member's history, against in-process moto.

    python -m bench.wallet_breadth

For each breadth (months × issuers: 1×1, 24×5, 24×20), a member's history is booked (a purchase at each issuer in
each month, amounts at random), then a warm purchase and a warm redemption by card are measured: WCU and RCU as
DynamoDB bills them (computed from the items' sizes: tests/support/capacity.py), the calls, the size of each item
written, and how the wallet is split between its head and its vault. The floor: 6 WCU (three items of at most 1 KB
in one transaction) and, for the reads, 0.5 RCU a GetItem of at most 4 KB read eventually consistent. Then two rarer
writes that may reach the vault: a return of part of the purchase, and the first earn of the next month.
"""

from __future__ import annotations

from bench import coalition_app, member_pool, prepare

prepare()

import moto  # noqa: E402

REQUESTS = ("POST /v1/transactions", "POST /v1/redemptions", "  a return (rarer)", "  a new month's first earn")


def main() -> None:
    from tests.support.aws import make_settings
    from tests.support.breadth import BREADTHS, grow_breadth
    from tests.support.capacity import capacity_meter
    from tests.support.clock import Clock
    from tests.support.wallets import head_and_vault_states

    with moto.mock_aws(), member_pool() as pool:
        settings = make_settings(**pool, config_cache_seconds=3600, key_cache_seconds=300)
        clock = Clock()
        with coalition_app(settings, clock) as coalition:
            keys: dict[str, str] = {}
            header = f"{'breadth':>8} {'request':<26} {'WCU':>4} {'RCU':>4}  {'calls':<42} {'bytes written':<18}"
            print(header, "head / vault")
            for months, issuers in BREADTHS:
                member = coalition.member(coalition.partner(f"home-{months}x{issuers}"))
                grow_breadth(coalition, clock, member, months, issuers, keys)
                till = keys["brand-00"]
                coalition.purchase(till, member, "1.00")  # warm: key, partner, programme, campaigns cached
                head, vault = head_and_vault_states(member.member_id)
                split = f"{sum(len(v) for v in head['lots'].values())} lots / {len(vault['lots']) if vault else 0}"
                with capacity_meter() as meter:
                    for name in REQUESTS:
                        meter.reset()
                        if name == "POST /v1/transactions":
                            reply = coalition.purchase(till, member, "12.34", transaction_id=f"b-{member.member_id}")
                        elif name == "POST /v1/redemptions":
                            reply = coalition.redeem(till, member, 3)
                        elif name == "  a return (rarer)":
                            body = {"return_id": f"r-{member.member_id}", "amount": "5.00"}
                            path = f"/v1/transactions/b-{member.member_id}/returns"
                            reply = coalition.api.post(path, body, token=till)
                        else:  # the first earn of a month: a new expiry date joins the head's
                            clock.advance(days=31)
                            reply = coalition.purchase(till, member, "12.34")
                            clock.advance(days=-31)
                        assert reply.status == 201, reply.json
                        calls = ", ".join(b.operation for b in meter.billed)
                        written = "+".join(str(n) for b in meter.billed for n in b.written_bytes)
                        print(
                            f"{months:>3}×{issuers:<4} {name:<26} {meter.wcu:>4g} {meter.rcu:>4g}  {calls:<42} "
                            f"{written:<18} {split}"
                        )


if __name__ == "__main__":
    main()
