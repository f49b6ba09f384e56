"""The portal's forms: a custom goal, the shipping details of a reward, the age gate, the
birthday."""

from babel.dates import get_month_names
from flask_babel import get_locale, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.widgets import HiddenInput


class CustomGoalForm(FlaskForm):
    """A goal of the member's own; the goal rules check the values."""

    name = StringField(lazy_gettext("What are you saving for?"), render_kw={"maxlength": 255})
    target_points = StringField(
        lazy_gettext("Points"),
        render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in (self.name, self.target_points):
            # Marks the label and the input; the goal rules do the checking.
            field.flags.required = True


REQUIRED_SHIPPING_FIELDS = ("name", "address1", "city", "region", "postal_code", "country")


class ShippingForm(FlaskForm):
    """Where the reward is sent; the redemption rules check the values."""

    name = StringField(lazy_gettext("Full name"), render_kw={"autocomplete": "name"})
    address1 = StringField(lazy_gettext("Address"), render_kw={"autocomplete": "address-line1"})
    address2 = StringField(
        lazy_gettext("Apartment, suite"), render_kw={"autocomplete": "address-line2"}
    )
    city = StringField(lazy_gettext("City"), render_kw={"autocomplete": "address-level2"})
    region = StringField(
        lazy_gettext("State or region"), render_kw={"autocomplete": "address-level1"}
    )
    postal_code = StringField(
        lazy_gettext("Postal code"), render_kw={"autocomplete": "postal-code"}
    )
    country = StringField(
        lazy_gettext("Country"),
        default="US",
        description=lazy_gettext("Two letters, like US."),
        render_kw={"autocomplete": "country", "maxlength": 2},
    )
    phone = StringField(lazy_gettext("Phone"), render_kw={"autocomplete": "tel", "type": "tel"})
    # Set on the confirm step: one key per confirmation, and the price the member says yes to.
    idempotency_key = HiddenField()
    points_cost = IntegerField(widget=HiddenInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field_name in REQUIRED_SHIPPING_FIELDS:
            # Marks the label and the input; the redemption rules do the checking.
            self[field_name].flags.required = True

    def shipping(self):
        """The submitted details as the redemption rules take them (blank optional -> None)."""
        details = {name: self[name].data or "" for name in REQUIRED_SHIPPING_FIELDS}
        for name in ("address2", "phone"):
            details[name] = (self[name].data or "").strip() or None
        return details


class AgeGateForm(FlaskForm):
    """The confirmation, carrying the page to return to."""

    next = HiddenField()


class BirthdayForm(FlaskForm):
    """The member's birth month and day (never a year), with their consent; the birthday rules
    check the values."""

    birth_month = SelectField(lazy_gettext("Month"), choices=[], validate_choice=False)
    birth_day = SelectField(lazy_gettext("Day"), choices=[], validate_choice=False)
    birthday_consent = BooleanField()

    def __init__(self, brand_name, *args, **kwargs):
        super().__init__(*args, **kwargs)
        months = get_month_names("wide", locale=get_locale())
        self.birth_month.choices = [("", "—")] + [
            (str(number), months[number]) for number in range(1, 13)
        ]
        self.birth_day.choices = [("", "—")] + [(str(day), str(day)) for day in range(1, 32)]
        self.birthday_consent.label.text = lazy_gettext(
            "Keep my birthday so %(brand)s can give me a birthday bonus.", brand=brand_name
        )
