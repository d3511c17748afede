import calendar
from tests.support.wallets import stored_wallet, put_legacy, head_and_vault_states


def month_ends(start_year, n):
    out = []
    for m in range(n):
        y, mo = start_year + m // 12, m % 12 + 1
        out.append(f"{y}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}")
    return out


def test_legacy_broad_wallet_rewritten(coalition, clock):
    till = coalition.partner("home")
    member = coalition.member(till)
    w = stored_wallet(member.member_id)
    lots = {(on, f"p{i}"): 10 + i for on in month_ends(2027, 24) for i in range(5)}
    tally = {(on, f"p{i}"): 3 for on in month_ends(2026, 4)[:4] for i in range(5)}
    w.lots, w.expired_tally = dict(lots), dict(tally)
    put_legacy(w, state=None)
    assert stored_wallet(member.member_id).lots == lots
    r = coalition.redeem(till, member, 5)
    assert r.status == 201, r.json
    head, vault = head_and_vault_states(member.member_id)
    assert vault is not None
    after = stored_wallet(member.member_id)
    exp = dict(lots); exp[(month_ends(2027, 1)[0], "p0")] -= 5
    assert after.lots == exp
    assert after.expired_tally == tally
    r = coalition.redeem(till, member, 7)
    assert r.status == 201, r.json
    again = stored_wallet(member.member_id)
    exp[(month_ends(2027, 1)[0], "p0")] -= 5; exp[(month_ends(2027, 1)[0], "p1")] -= 2
    exp = {k: v for k, v in exp.items() if v}
    assert again.lots == exp and again.expired_tally == tally
