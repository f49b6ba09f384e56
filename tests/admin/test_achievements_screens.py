"""Achievement screens: create from fields or JSON, messages, edit, preview, delete."""

import json

import pytest
from sqlalchemy import select

from tests import factories
from tests.admin.conftest import HOST_A, sign_in
from webapp.extensions import db
from webapp.loyalty.achievement_catalog import active_achievements
from webapp.models import AchievementConfig, StaffAuditLog, UserAchievement, UserActionLog

FIELDS = {
    "mode": "fields",
    "achievement_key": "five-scans",
    "name": "Five scans",
    "achievement_type": "scan_count",
    "criteria-operator": ">=",
    "criteria-value": "5",
    "criteria-timeframe": "30d",
    "criteria-product_form": "Flower",
    "criteria-strain_type": "",
    "rewards-points": "250",
    "rewards-multiplier": "1.5",
    "rewards-multiplier_days": "7",
    "rewards-badge": "collector",
    "visibility-active": "y",
    "visibility-show_progress": "y",
    "visibility-priority": "3",
    "ai_enhancement-segments": "lapsing, new",
    "ai_enhancement-min_churn_probability": "0.4",
    "metadata-category": "scans",
    "metadata-rarity": "rare",
    "metadata-tags": "starter, flower",
}
JSON_PARTS = {
    "criteria": {"operator": ">=", "value": 3},
    "rewards": {"points": 100},
    "visibility": {"priority": 1},
    "ai_enhancement": {},
    "metadata": {"rarity": "epic"},
}


def json_form(**parts):
    """The form posted in raw JSON mode; `parts` replace the textarea texts."""
    data = {
        "mode": "json",
        "achievement_key": "three-scans",
        "name": "Three scans",
        "achievement_type": "scan_count",
    }
    for part, value in JSON_PARTS.items():
        data[f"{part}_json"] = json.dumps(value)
    data.update({f"{part}_json": text for part, text in parts.items()})
    return data


def config(app, key):
    """The achievement row with this key, fresh."""
    with app.app_context():
        return db.session.scalar(
            select(AchievementConfig).where(AchievementConfig.achievement_key == key)
        )


@pytest.fixture
def manager(client, world):
    """A client signed in as brand A's manager."""
    return sign_in(client, world.emails["manager"])


@pytest.mark.sqlite_ok
def test_create_from_part_fields_lists_it_and_shows_globals_read_only(app, manager, world):
    with app.app_context():
        db.session.add(
            AchievementConfig(
                brand_id=None, achievement_key="global-one", name="Platform star",
                achievement_type="scan_count", criteria={"metric": "scan_count", "value": 1},
                rewards={"points": 5},
            )
        )  # fmt: skip
        db.session.commit()
    response = manager.post("/admin/achievements/new", data=FIELDS, base_url=HOST_A)
    assert response.status_code == 303
    row = config(app, "five-scans")
    assert row.brand_id == world.brand_a.id
    assert row.criteria == {
        "metric": "scan_count", "operator": ">=", "value": 5, "timeframe": "30d",
        "filters": {"product_form": "Flower"},
    }  # fmt: skip
    assert row.rewards == {
        "points": 250, "multiplier": 1.5, "multiplier_days": 7, "badge": "collector",
        "exclusive_access": False,
    }  # fmt: skip
    assert row.visibility["priority"] == 3 and row.visibility["hidden_until_unlocked"] is False
    assert row.ai_enhancement == {"segments": ["lapsing", "new"], "min_churn_probability": 0.4}
    assert row.meta == {"category": "scans", "rarity": "rare", "tags": ["starter", "flower"]}
    listing = manager.get("/admin/achievements", base_url=HOST_A).get_data(as_text=True)
    assert "Five scans" in listing and f"/admin/achievements/{row.id}/edit" in listing
    assert "Platform star" in listing and "Global (read-only)" in listing
    global_id = config(app, "global-one").id
    assert f"/admin/achievements/{global_id}/edit" not in listing
    assert manager.get(f"/admin/achievements/{global_id}/edit", base_url=HOST_A).status_code == 404
    with app.app_context():
        assert db.session.scalar(
            select(StaffAuditLog.action).order_by(StaffAuditLog.id.desc())
        ) == ("achievement_created")


def test_bad_parts_show_messages_next_to_their_fields(app, manager):
    bad = dict(
        FIELDS,
        **{
            "rewards-points": "lots",
            "rewards-multiplier_days": "",
            "visibility-priority": "-1",
            "ai_enhancement-max_churn_probability": "0.1",
        },
    )
    response = manager.post("/admin/achievements/new", data=bad, base_url=HOST_A)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="rewards-points-error" role="alert">Enter a whole number.' in html
    assert 'id="visibility-priority-error" role="alert">Use a value of at least 0.' in html
    assert "The minimum churn probability is above the maximum." in html
    assert config(app, "five-scans") is None


def test_filters_on_a_metric_without_products_are_explained(manager):
    bad = dict(FIELDS, achievement_type="referral_count")
    html = manager.post("/admin/achievements/new", data=bad, base_url=HOST_A).get_data(as_text=True)
    assert "Product filters only apply to scans, purchase amount and wishlist items." in html


def test_raw_json_mode_creates_and_reports_bad_json_and_bad_values(app, manager):
    page = manager.get("/admin/achievements/new?mode=json", base_url=HOST_A)
    assert 'name="criteria_json"' in page.get_data(as_text=True)
    broken = json_form(criteria='{"operator": ">=", "value": 3')
    html = manager.post("/admin/achievements/new", data=broken, base_url=HOST_A).get_data(
        as_text=True
    )
    assert "This is not valid JSON (line 1, column 30" in html
    wrong = json_form(rewards=json.dumps({"points": 10, "colour": "red"}))
    html = manager.post("/admin/achievements/new", data=wrong, base_url=HOST_A).get_data(
        as_text=True
    )
    assert "colour: This setting is not known here" in html
    not_object = json_form(visibility="[1, 2]")
    html = manager.post("/admin/achievements/new", data=not_object, base_url=HOST_A).get_data(
        as_text=True
    )
    assert "This part must be a set of settings (a JSON object)." in html
    assert config(app, "three-scans") is None
    created = manager.post("/admin/achievements/new", data=json_form(), base_url=HOST_A)
    assert created.status_code == 303
    row = config(app, "three-scans")
    assert row.criteria["value"] == 3 and row.meta["rarity"] == "epic"


def test_duplicate_key_gets_a_clear_message(manager):
    manager.post("/admin/achievements/new", data=FIELDS, base_url=HOST_A)
    again = manager.post("/admin/achievements/new", data=FIELDS, base_url=HOST_A)
    assert again.status_code == 200
    assert (
        "The key &#39;five-scans&#39; is already used by another achievement of this brand"
        in again.get_data(as_text=True)
    )


@pytest.mark.sqlite_ok
def test_edit_updates_the_row_and_the_cached_catalogue(app, manager, world):
    manager.post("/admin/achievements/new", data=FIELDS, base_url=HOST_A)
    row = config(app, "five-scans")
    with app.app_context():
        assert "Five scans" in [a.name for a in active_achievements(world.brand_a.id)]
    form = manager.get(f"/admin/achievements/{row.id}/edit", base_url=HOST_A)
    html = form.get_data(as_text=True)
    assert 'value="250"' in html and 'value="lapsing, new"' in html
    edited = dict(FIELDS, name="Six scans", **{"criteria-value": "6", "achievement_key": "x"})
    response = manager.post(f"/admin/achievements/{row.id}/edit", data=edited, base_url=HOST_A)
    assert response.status_code == 303
    row = config(app, "five-scans")
    assert (row.name, row.criteria["value"]) == ("Six scans", 6)
    with app.app_context():
        names = [a.name for a in active_achievements(world.brand_a.id)]
    assert "Six scans" in names and "Five scans" not in names
    bad = dict(edited, **{"criteria-value": "many"})
    html = manager.post(f"/admin/achievements/{row.id}/edit", data=bad, base_url=HOST_A).get_data(
        as_text=True
    )
    assert 'id="criteria-value-error" role="alert">Enter a number.' in html


def scans(user, brand, product, count):
    """`count` scans of `product` by `user`."""
    for _ in range(count):
        db.session.add(
            UserActionLog(
                user_id=user.id, action_type="product_scanned", brand_id=brand.id,
                product_id=product.id,
            )
        )  # fmt: skip
    db.session.commit()


@pytest.mark.sqlite_ok
def test_preview_counts_members_meeting_the_draft_criteria(app, manager, world):
    with app.app_context():
        flower = factories.product(world.brand_a, product_form="Flower")
        vape = factories.product(world.brand_a, product_form="Vape")
        other = factories.product(world.brand_b)
        for _ in range(3):
            scans(factories.user(signup_brand_id=world.brand_a.id), world.brand_a, flower, 5)
        scans(factories.user(signup_brand_id=world.brand_a.id), world.brand_a, vape, 6)
        scans(factories.user(signup_brand_id=world.brand_a.id), world.brand_a, flower, 2)
        scans(factories.user(brands=[world.brand_b]), world.brand_b, other, 9)
    draft = dict(FIELDS, **{"criteria-timeframe": "all_time", "criteria-product_form": ""})
    response = manager.post(
        "/admin/achievements/preview", data=draft, headers={"HX-Request": "true"}, base_url=HOST_A
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'data-count="4"' in html
    flower_only = dict(draft, **{"criteria-product_form": "Flower"})
    html = manager.post("/admin/achievements/preview", data=flower_only, base_url=HOST_A).get_data(
        as_text=True
    )
    assert 'data-count="3"' in html and "3 members currently qualify" in html.replace(
        '<strong data-count="3">3</strong>', "3"
    )
    below = dict(draft, **{"criteria-operator": "<", "criteria-value": "3"})
    html = manager.post("/admin/achievements/preview", data=below, base_url=HOST_A).get_data(
        as_text=True
    )
    assert 'data-count="2"' in html  # the member with 2 scans and the world's member with none
    bad = dict(draft, **{"criteria-value": "lots"})
    html = manager.post("/admin/achievements/preview", data=bad, base_url=HOST_A).get_data(
        as_text=True
    )
    assert "Fix the criteria first" in html and "Enter a number." in html


def test_delete_when_unused_and_deactivate_when_members_have_it(app, manager, world):
    manager.post("/admin/achievements/new", data=FIELDS, base_url=HOST_A)
    unused = config(app, "five-scans").id
    page = manager.get(f"/admin/achievements/{unused}/delete", base_url=HOST_A)
    assert "deleted for good" in page.get_data(as_text=True)
    manager.post(f"/admin/achievements/{unused}/delete", base_url=HOST_A)
    assert config(app, "five-scans") is None
    held = world.ids["achievement_id"]
    with app.app_context():
        member = factories.user(signup_brand_id=world.brand_a.id)
        db.session.add(
            UserAchievement(user_id=member.id, achievement_config_id=held, completed=True)
        )
        db.session.commit()
    page = manager.get(f"/admin/achievements/{held}/delete", base_url=HOST_A)
    assert "will be <strong>deactivated</strong> instead of deleted" in page.get_data(as_text=True)
    response = manager.post(f"/admin/achievements/{held}/delete", base_url=HOST_A)
    assert response.status_code == 303
    row = config(app, "first")
    assert row.is_active is False and row.visibility["active"] is False
    with app.app_context():
        assert db.session.scalar(select(UserAchievement.id)) is not None


def test_another_brands_achievement_is_not_found(app, client, world):
    with app.app_context():
        theirs = AchievementConfig(
            brand_id=world.brand_b.id, achievement_key="theirs", name="Theirs",
            achievement_type="custom", criteria={"metric": "custom"}, rewards={"points": 1},
        )  # fmt: skip
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    sign_in(client, world.emails["owner"])
    for path in ("edit", "delete"):
        response = client.get(f"/admin/achievements/{theirs_id}/{path}", base_url=HOST_A)
        assert response.status_code == 404
    assert (
        client.post(f"/admin/achievements/{theirs_id}/delete", base_url=HOST_A).status_code == 404
    )


def test_preview_of_raw_json_explains_bad_drafts(manager):
    broken = manager.post(
        "/admin/achievements/preview", data=json_form(criteria="{"), base_url=HOST_A
    )
    assert broken.status_code == 200
    assert "The JSON of a part is not valid." in broken.get_data(as_text=True)
    listed = manager.post(
        "/admin/achievements/preview", data=json_form(criteria="[5]"), base_url=HOST_A
    )
    assert "a set of settings (a JSON object)" in listed.get_data(as_text=True)
    custom = manager.post(
        "/admin/achievements/preview",
        data=dict(json_form(criteria="{}"), achievement_type="custom"),
        base_url=HOST_A,
    )
    assert "Custom achievements are granted by staff or webhooks" in custom.get_data(as_text=True)
