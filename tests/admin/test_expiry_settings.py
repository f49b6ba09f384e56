"""The owners' settings page sets a brand's points expiry; bad values get a message."""

import pytest

from tests.admin.conftest import HOST_A
from tests.admin.test_settings_round_trip import rendered_form, stored

pytestmark = pytest.mark.sqlite_ok


def test_the_settings_page_saves_the_expiry_policy(app, owner, world):
    fields = rendered_form(owner)
    assert (fields["expiry_policy"], fields["expiry_months"]) == ("none", "12")
    assert fields["expiry_reminder_days"] == "30, 7"
    fields.update(expiry_policy="inactivity", expiry_months="6", expiry_reminder_days="7, 60, 7")

    response = owner.post("/admin/settings", data=fields, base_url=HOST_A)

    assert response.status_code == 303
    raw, effective = stored(app, world.brand_a.id)
    assert raw["points_expiry"] == {"policy": "inactivity", "months": 6, "reminder_days": [60, 7]}
    assert effective["points_expiry"]["reminder_days"] == [60, 7]
    assert rendered_form(owner)["expiry_reminder_days"] == "60, 7"


def test_no_reminders_is_an_empty_list(app, owner, world):
    fields = {**rendered_form(owner), "expiry_reminder_days": ""}
    assert owner.post("/admin/settings", data=fields, base_url=HOST_A).status_code == 303
    assert stored(app, world.brand_a.id)[0]["points_expiry"]["reminder_days"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("expiry_months", "0", "between 1 and 120"),
        ("expiry_months", "121", "between 1 and 120"),
        ("expiry_reminder_days", "thirty", "whole numbers of days"),
        ("expiry_reminder_days", "30, -7", "whole numbers of days"),
        ("expiry_reminder_days", "400", "each from 1 to 365"),
        ("expiry_policy", "forever", "Not a valid choice"),
    ],
)
def test_bad_expiry_settings_are_refused_with_a_message(app, owner, world, field, value, message):
    fields = {**rendered_form(owner), field: value}

    response = owner.post("/admin/settings", data=fields, base_url=HOST_A)

    assert response.status_code in (200, 422)
    assert message in response.get_data(as_text=True)
    assert "points_expiry" not in (stored(app, world.brand_a.id)[0] or {})


def test_a_post_without_the_expiry_fields_keeps_the_brands_expiry(app, owner, world):
    fields = {**rendered_form(owner), "expiry_policy": "rolling", "expiry_months": "5"}
    assert owner.post("/admin/settings", data=fields, base_url=HOST_A).status_code == 303
    older_form = {k: v for k, v in fields.items() if not k.startswith("expiry_")}

    assert owner.post("/admin/settings", data=older_form, base_url=HOST_A).status_code == 303

    expiry = stored(app, world.brand_a.id)[0]["points_expiry"]
    assert (expiry["policy"], expiry["months"]) == ("rolling", 5)
