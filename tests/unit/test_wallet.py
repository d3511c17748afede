"""The wallet alone: lots, debts, holds (pure domain, no AWS)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import HoldNotOpen, InsufficientPoints
from chalicelib.domain.wallet import NO_EXPIRY, Portion, Wallet, hold_key, reversal_portions

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)


def wallet(**lots: int) -> Wallet:
    w = Wallet("m_1", "1234", "member", "2026-01-01", "2027-01-01")
    for key, points in lots.items():
        issuer, expires_on = key.split("__")
        w.credit(issuer, points, expires_on.replace("_", "-"))
    return w


def test_spending_takes_the_earliest_expiry_first_then_issuer_id():
    w = wallet(b__2027_01_31=10, a__2027_01_31=10, c__2026_12_31=5)

    taken = w.spend(18)

    assert taken == [Portion("2026-12-31", "c", 5), Portion("2027-01-31", "a", 10), Portion("2027-01-31", "b", 3)]
    assert w.lots == {("2027-01-31", "b"): 7}


def test_spending_more_than_available_changes_nothing():
    w = wallet(a__2027_01_31=10)
    with pytest.raises(InsufficientPoints):
        w.spend(11)
    assert w.available == 10


def test_a_claw_back_beyond_the_issuers_lots_becomes_a_debt_and_available_never_goes_negative():
    w = wallet(a__2027_01_31=10, b__2027_01_31=5)

    taken = w.claw_back("a", 30)

    assert taken == [Portion("2027-01-31", "a", 10), Portion(NO_EXPIRY, "a", 20)]
    assert w.debts == {"a": 20} and w.available == 0 and w.balance == -15


def test_new_points_of_an_issuer_repay_its_debt_first():
    w = wallet()
    w.claw_back("a", 20)

    w.credit("a", 25, "2027-02-28")
    w.credit("b", 5, "2027-02-28")

    assert w.debts == {} and w.lots == {("2027-02-28", "a"): 5, ("2027-02-28", "b"): 5}


def test_a_partial_capture_spends_the_holds_earliest_points_and_releases_the_rest():
    w = wallet(a__2026_12_31=5, b__2027_01_31=10)
    w.place_hold("h", "shop", 12, NOW + timedelta(minutes=15))
    assert (w.available, w.held, w.balance) == (3, 12, 15)

    _, captured = w.capture_hold(hold_key("shop", "h"), 8)

    assert captured == [Portion("2026-12-31", "a", 5), Portion("2027-01-31", "b", 3)]
    assert w.lots == {("2027-01-31", "b"): 7} and w.held == 0


def test_an_expired_hold_is_not_open():
    w = wallet(a__2027_01_31=10)
    w.place_hold("h", "shop", 4, NOW)
    with pytest.raises(HoldNotOpen):
        w.open_hold("shop", "h", NOW)
    assert [h.hold_id for h in w.expired_holds(NOW)] == ["h"]
    w.release_hold(hold_key("shop", "h"))
    assert w.available == 10


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["earn", "spend", "return", "hold", "release"]),
            st.sampled_from(["a", "b", "c"]),
            st.integers(1, 50),
        ),
        max_size=40,
    )
)
def test_no_sequence_of_moves_breaks_the_wallets_own_invariants(moves):
    w = wallet()
    balance = 0
    holds = 0
    for n, (move, issuer, points) in enumerate(moves):
        if move == "earn":
            w.credit(issuer, points, f"2027-0{1 + n % 9}-28")
            balance += points
        elif move == "spend" and points <= w.available:
            assert sum(p.points for p in w.spend(points)) == points
            balance -= points
        elif move == "return":
            assert sum(p.points for p in w.claw_back(issuer, points)) == points
            balance -= points
        elif move == "hold" and points <= w.available:
            w.place_hold(f"h{n}", "shop", points, NOW)
            holds += 1
        elif move == "release" and w.holds:
            w.release_hold(next(iter(w.holds)))
        assert w.balance == balance
        assert all(v > 0 for v in w.lots.values()) and all(v > 0 for v in w.debts.values())
        assert not ({issuer for _, issuer in w.lots} & set(w.debts)), "a lot and a debt of the same issuer"
        assert w.available >= 0


def test_two_partners_may_use_the_same_hold_id_on_one_member():
    w = wallet()
    w.credit("shop", 50, "2028-11-30")
    w.place_hold("h1", "cinema", 20, NOW + timedelta(minutes=15))
    w.place_hold("h1", "grocer", 10, NOW + timedelta(minutes=15))

    assert (w.held, w.available) == (30, 20)
    with pytest.raises(HoldNotOpen):
        w.open_hold("fuelco", "h1", NOW)
    w.release_hold(w.open_hold("grocer", "h1", NOW).key)
    assert (w.held, w.available) == (20, 30)
    assert w.open_hold("cinema", "h1", NOW).points == 20


def test_reversals_give_back_the_latest_expiry_first_and_never_overlap():
    spent = [Portion("2026-12-31", "alpha", 5), Portion("2027-01-31", "bravo", 10), Portion("2027-01-31", "cinema", 3)]

    first = reversal_portions(spent, 0, 4)
    second = reversal_portions(spent, 4, 12)

    assert first == [Portion("2027-01-31", "cinema", 3), Portion("2027-01-31", "bravo", 1)]
    assert second == [Portion("2027-01-31", "bravo", 9), Portion("2026-12-31", "alpha", 3)]
    assert reversal_portions(spent, 16, 2) == [Portion("2026-12-31", "alpha", 2)]
