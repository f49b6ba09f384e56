"""The redemption desk at 1280 px: each action's field and button have room between them, and
the two actions (fulfil, cancel) read as two separate groups."""

from tests.e2e.test_admin_journeys import redeem_in_database, staff_page


def _box(locator):
    return locator.bounding_box()


def test_fulfil_and_cancel_controls_have_room(new_context, live_server):
    demo = live_server["demo"]
    redemption_id = redeem_in_database(
        live_server["database_url"], demo["consumer"]["email"], demo["reward_product_id"]
    )
    page = staff_page(new_context, live_server)
    page.goto("/admin/redemptions?status=pending")
    row = page.locator(f"#redemption-{redemption_id}")
    note, fulfil = _box(row.locator("[name=note]")), _box(row.locator("text=Fulfil"))
    reason = _box(row.locator("[name=reason]"))
    cancel = _box(row.locator("text=Cancel and refund"))
    assert fulfil["y"] - (note["y"] + note["height"]) >= 8  # field, then its button
    assert cancel["y"] - (reason["y"] + reason["height"]) >= 8
    assert reason["y"] - (fulfil["y"] + fulfil["height"]) >= 16  # a second, separate action
