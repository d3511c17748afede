from chalicelib.domain.errors import ConcurrencyConflict
from tests.support.wallets import head_and_vault_states, stored_wallet, rewrite


def test_debit_refused_after_a_conflict_on_a_head_only_consistent_read(coalition, clock, container, monkeypatch):
    coalition.partner("brand-03")
    member = coalition.member(coalition.partner("home"))
    w = stored_wallet(member.member_id)
    w.lots[("2027-06-30", "brand-03")] = 100
    rewrite(w)  # (test setup: the funder's 100 points)
    from chalicelib.store.repositories import DynamoBookings
    real = DynamoBookings.commit
    left = [1]

    def flaky(self, booking):
        if left[0]:  # meanwhile a concurrent write makes the wallet broad: brand-03's lot lands in the vault
            left[0] -= 1
            other = stored_wallet(member.member_id)
            for i in range(21):
                other.lots[("2027-01-31", f"x{i:02d}")] = 10
                other.lots[("2027-12-31", f"x{i:02d}")] = 10
            rewrite(other)
            raise ConcurrencyConflict()
        return real(self, booking)

    monkeypatch.setattr(DynamoBookings, "commit", flaky)
    body = {"adjustment_id": "adj-1", "points": -100, "reason": "fraud", "funder": "brand-03"}
    debit = coalition.api.post(f"/v1/admin/members/{member.member_id}/adjustments", body, token=coalition.admin)
    head, vault = head_and_vault_states(member.member_id)
    print("vault:", vault, "\nanswer:", debit.status, debit.json)
    whole = stored_wallet(member.member_id)
    print("brand-03 in whole wallet:", {k: v for k, v in whole.lots.items() if k[1] == "brand-03"})
    assert debit.status == 201, debit.json
