"""`flask brands load-rules SLUG FILE.json` and seed-demo load regional rules from a file
validated with pydantic; a bad file is a clear error and changes nothing."""

import json

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.jurisdiction_editing import EXAMPLES_FILE, EXAMPLES_NOTICE, example_rules
from webapp.models import Brand, JurisdictionRule, MemberWallet, User

pytestmark = pytest.mark.sqlite_ok

GOOD = {
    "notice": "ours",
    "rules": [
        {"region": "US-CO", "name": "Colorado", "min_age": 21},
        {"region": "ca-ab", "name": "Alberta", "min_age": 18, "earning_allowed": False},
    ],
}


def load(app, slug, path):
    return app.test_cli_runner().invoke(args=["brands", "load-rules", slug, str(path)])


def regions_of(brand):
    db.session.expire_all()
    return {
        rule.region: rule
        for rule in db.session.scalars(
            select(JurisdictionRule).where(JurisdictionRule.brand_id == brand.id)
        )
    }


def test_a_good_file_replaces_the_rules(app, make, tmp_path):
    brand = make.brand(slug="loader")
    db.session.add(JurisdictionRule(brand_id=brand.id, region="US-NV", name="Nevada", min_age=21))
    db.session.commit()
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(GOOD))
    result = load(app, "loader", path)
    assert result.exit_code == 0, result.output
    assert "Loaded 2 regional rules for loader." in result.output
    rules = regions_of(brand)
    assert set(rules) == {"US-CO", "CA-AB"}
    assert rules["CA-AB"].earning_allowed is False and rules["CA-AB"].redemption_allowed is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"rules": []}), "rules: List should have at least 1 item"),
        (json.dumps({"rules": [{"region": "Colorado", "name": "C"}]}), "rules.0.region"),
        (json.dumps({"rules": [{"region": "XX-CO", "name": "C"}]}), "XX is not a country code"),
        (json.dumps({"rules": [{"region": "US-CO", "name": "C", "min_age": 12}]}), "min_age"),
        (json.dumps({"rules": [{"region": "US-CO", "name": "C", "earn": True}]}), "earn"),
        (json.dumps({"rules": [GOOD["rules"][0], GOOD["rules"][0]]}), "more than once"),
    ],
)
def test_a_bad_file_is_a_clear_error_and_changes_nothing(app, make, tmp_path, content, message):
    brand = make.brand(slug="careful")
    db.session.add(JurisdictionRule(brand_id=brand.id, region="US-NV", name="Nevada", min_age=21))
    db.session.commit()
    path = tmp_path / "rules.json"
    path.write_text(content)
    result = load(app, "careful", path)
    assert result.exit_code != 0 and message in result.output, result.output
    assert set(regions_of(brand)) == {"US-NV"}


def test_an_unknown_brand_is_a_clear_error(app, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(GOOD))
    result = load(app, "nobody", path)
    assert result.exit_code != 0 and "nobody" in result.output


def test_the_shipped_examples_say_confirm_with_counsel_and_cover_both_countries():
    document = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    assert document["notice"].startswith(EXAMPLES_NOTICE)
    rules = {rule.region: rule for rule in example_rules()}
    assert len([r for r in rules if r.startswith("US-")]) == 51  # 50 states and DC
    assert len([r for r in rules if r.startswith("CA-")]) == 13  # provinces and territories
    assert (rules["CA-AB"].min_age, rules["CA-QC"].min_age, rules["CA-ON"].min_age) == (18, 21, 19)
    assert rules["US-MA"].earning_allowed is False
    assert rules["US-CA"].physical_rewards_allowed is False
    assert rules["US-FL"].medical_only is True


def test_seed_demo_loads_the_examples_and_places_its_member(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    brand = db.session.scalar(select(Brand).filter_by(slug="green-harbor"))
    assert len(regions_of(brand)) == len(example_rules())
    consumer = db.session.scalar(
        select(User).filter_by(email=json.loads(result.stdout)["consumer"]["email"])
    )
    assert db.session.get(MemberWallet, (consumer.id, brand.id)).region == "US-CO"
