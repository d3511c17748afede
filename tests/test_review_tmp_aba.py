import calendar
from chalicelib.store import wallets as wallets_mod
from tests.support.wallets import stored_wallet, rewrite, head_and_vault_states


def month_ends(start_year, n):
    out = []
    for m in range(n):
        y, mo = start_year + m // 12, m % 12 + 1
        out.append(f"{y}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}")
    return out


def test_scan_pairs_a_head_with_a_recreated_vault_of_the_same_version(coalition, monkeypatch):
    member = coalition.member(coalition.partner("home"))
    mid = member.member_id
    w = stored_wallet(mid)
    for on in month_ends(2027, 24):
        for i in range(5):
            w.lots[(on, f"a{i}")] = 10
    rewrite(w)
    _, vault = head_and_vault_states(mid)
    assert vault is not None
    real = wallets_mod._vaults_of
    done = [False]

    def racing(heads):
        if not done[0]:  # between the Scan page and its vaults: two writes (vault deleted, then created again)
            done[0] = True
            x = stored_wallet(mid)
            x.lots = {k: v for k, v in sorted(x.lots.items())[:10]}
            rewrite(x)
            y = stored_wallet(mid)
            assert y.vault_version is None
            for on in month_ends(2030, 24):
                for i in range(5):
                    y.lots[(on, f"b{i}")] = 1
            rewrite(y)
        return real(heads)

    monkeypatch.setattr(wallets_mod, "_vaults_of", racing)
    scanned, _ = wallets_mod.scan_wallets(0, 1, 100, None)
    mine = [s for s in scanned if s.member_id == mid][0]
    now = stored_wallet(mid)
    print("scanned lot points", mine.lot_points, "issuers", sorted({i for _, i in mine.lots}))
    print("stored  lot points", now.lot_points, "version", now.vault_version)
    assert sorted(mine.lots.items()) in (sorted(w.lots.items()), sorted(now.lots.items()))
