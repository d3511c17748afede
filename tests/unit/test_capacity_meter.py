"""The capacity meter's arithmetic, on DynamoDB's published sizing rules: the wallet cost tests rest on it."""

from __future__ import annotations

from tests.support.capacity import item_bytes, read_units, value_bytes, write_units


def test_sizes_follow_dynamodbs_rules():
    assert value_bytes({"S": "abc"}) == 3
    assert value_bytes({"S": "é"}) == 2  # UTF-8 bytes, not characters
    assert value_bytes({"B": b"\x00\x01\x02\x03"}) == 4
    assert value_bytes({"N": "12345"}) == 4  # 1 byte per two significant digits, + 1
    assert value_bytes({"N": "-1200.00"}) == 2  # sign, point and trailing zeros are no significant digits
    assert value_bytes({"BOOL": True}) == value_bytes({"NULL": True}) == 1
    assert value_bytes({"M": {"ab": {"S": "xyz"}}}) == 3 + (2 + 3 + 1)  # 3 bytes + per element: name, value, 1
    assert value_bytes({"L": [{"S": "a"}, {"N": "7"}]}) == 3 + (1 + 1) + (2 + 1)
    item = {"member_id": {"S": "m_1"}, "version": {"N": "12"}, "state": {"B": b"x" * 100}}
    assert item_bytes(item) == (9 + 3) + (7 + 2) + (5 + 100)
    assert item_bytes(None) == 0


def test_units_round_up_per_kilobyte_and_four_kilobytes():
    assert [write_units(n) for n in (0, 1, 1024, 1025, 4096)] == [1, 1, 1, 2, 4]
    assert [read_units(n, consistent=True) for n in (0, 4096, 4097)] == [1, 1, 2]
    assert [read_units(n, consistent=False) for n in (0, 4096, 4097)] == [0.5, 0.5, 1.0]
