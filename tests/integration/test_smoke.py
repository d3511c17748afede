def test_a_purchase_earns_points_and_the_member_sees_them(coalition):
    key = coalition.partner("fuelco", earn_rate="2")
    member = coalition.member(key)

    reply = coalition.purchase(key, member, "42.50")

    assert reply.status == 201, reply.json
    assert reply.json["points"] == 85
    assert coalition.me(member)["available_points"] == 85
