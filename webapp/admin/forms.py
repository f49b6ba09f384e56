"""Forms of the brand staff admin."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from webapp.fonts import DEFAULT_FONT, font_choices
from webapp.input_limits import MaxLength, NumberRange
from webapp.models.custom_fields import FIELD_TYPES
from webapp.models.economy import STRAIN_TYPES
from webapp.models.staff import STAFF_ROLES

KEY = Regexp(r"^[a-z0-9_]+$", message="Use lower-case letters, digits and underscores.")
HEX = Regexp(r"^#[0-9a-fA-F]{6}$", message="Use a colour like #1f5f3f.")
MAX_BATCH = 100_000
PRODUCT_COLUMNS = (
    "sku", "name", "msrp", "points_award", "product_line", "product_form", "strain_name",
    "potency_thc_percent", "potency_cbd_percent", "dominant_terpene", "is_featured", "is_new",
    "is_limited", "points_cost", "description", "is_active",
)  # fmt: skip


def _comma_list(text):
    if isinstance(text, list | tuple):  # the object's own list: the field was not sent
        return [str(part).strip() for part in text if str(part).strip()]
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class ProductForm(FlaskForm):
    """A product: the spec columns plus the reward columns."""

    sku = StringField("SKU", validators=[DataRequired(), Length(max=100)])
    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    msrp = DecimalField(
        "MSRP ($)", places=2, validators=[DataRequired(), NumberRange(min=0, max=99_999_999)]
    )
    points_award = IntegerField(
        "Points per scan", validators=[DataRequired(), NumberRange(min=0, max=1_000_000)]
    )
    product_line = StringField("Product line", validators=[Optional(), Length(max=100)])
    product_form = StringField("Form", validators=[Optional(), Length(max=100)])
    strain_name = StringField("Strain name", validators=[Optional(), Length(max=100)])
    strain_type = SelectField(
        "Strain type", choices=[("", "—")] + [(t, t) for t in STRAIN_TYPES], default=""
    )
    potency_thc_percent = DecimalField(
        "THC %", places=2, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    potency_cbd_percent = DecimalField(
        "CBD %", places=2, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    dominant_terpene = StringField("Dominant terpene", validators=[Optional(), Length(max=100)])
    tags = StringField(
        "Tags", description="Separated by commas.", validators=[MaxLength(1000), Optional()]
    )
    is_featured = BooleanField("Featured")
    is_new = BooleanField("New")
    is_limited = BooleanField("Limited")
    points_cost = IntegerField(
        "Points cost",
        description="Leave empty when the product is not a reward.",
        validators=[Optional(), NumberRange(min=1, max=10_000_000)],
    )
    required_rank_key = SelectField("Required rank", choices=[("", "Any rank")], default="")
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    photo = FileField(
        "Photo",
        description="JPEG, PNG or WebP up to 8 MB, at least 320x320 px; shown square.",
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    remove_photo = BooleanField("Remove the photo")
    is_active = BooleanField("Active", default=True)

    def apply_to(self, product):
        """Copy the form's values onto `product`."""
        for name in PRODUCT_COLUMNS:
            setattr(product, name, getattr(self, name).data)
        product.strain_type = self.strain_type.data or None
        product.required_rank_key = self.required_rank_key.data or None
        product.tags = _comma_list(self.tags.data)


class BatchForm(FlaskForm):
    """How many codes to generate."""

    quantity = IntegerField(
        "Number of codes", validators=[DataRequired(), NumberRange(min=1, max=MAX_BATCH)]
    )


NO_ENTRY_PRODUCT = 0


class ChosenIdField(SelectField):
    """A choice of one of the brand's rows by id; none chosen (NULL) reads as 0, "None"."""

    NOT_LISTED = "Choose one of the listed rewards, or None."

    def process_data(self, value):
        """A NULL id is the "None" choice, so a form left alone stays valid."""
        super().process_data(NO_ENTRY_PRODUCT if value is None else value)

    def process_formdata(self, valuelist):
        """An id that is not a number is refused with the field's own message."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.NOT_LISTED) from None

    def pre_validate(self, form):
        """Only the ids on offer (the brand's own rows)."""
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError(self.NOT_LISTED)


class RankForm(FlaskForm):
    """A rank of the ladder."""

    key = StringField("Key", validators=[DataRequired(), Length(max=50), KEY])
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    points_required = IntegerField(
        "Lifetime points required",
        validators=[DataRequired(), NumberRange(min=1, max=1_000_000_000)],
    )
    point_multiplier = DecimalField(
        "Points multiplier", places=2, validators=[DataRequired(), NumberRange(min=1, max=9.99)]
    )
    benefits = TextAreaField("Benefits", validators=[Optional(), Length(max=5000)])
    entry_points = IntegerField(
        "Entry reward (points)",
        description="Paid once per member, the first time they reach this rank.",
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    entry_product_id = ChosenIdField(
        "Entry reward (unlocked reward)",
        description="A limited reward members may redeem once they have reached this rank.",
        coerce=int,
        choices=[(NO_ENTRY_PRODUCT, "None")],
    )
    is_active = BooleanField("Active", default=True)

    def offer_products(self, products):
        """The brand's rewards as the entry reward's choices."""
        self.entry_product_id.choices = [(NO_ENTRY_PRODUCT, "None")] + [
            (product.id, product.name) for product in products
        ]

    def entry_product(self):
        """The chosen entry reward's product id (None: none)."""
        chosen = self.entry_product_id.data
        return None if chosen in (None, NO_ENTRY_PRODUCT) else chosen


class CustomFieldForm(FlaskForm):
    """A profile question."""

    field_key = StringField("Key", validators=[DataRequired(), Length(max=100), KEY])
    field_label = StringField("Label", validators=[DataRequired(), Length(max=255)])
    field_type = SelectField("Type", choices=[(t, t.title()) for t in FIELD_TYPES])
    field_options = StringField(
        "Options",
        description="Separated by commas (select and radio).",
        validators=[MaxLength(2000), Optional()],
    )
    is_required = BooleanField("Required")
    field_order = IntegerField(
        "Order", default=0, validators=[Optional(), NumberRange(min=0, max=10_000)]
    )
    is_active = BooleanField("Active", default=True)

    def validate_field_options(self, field):
        """Select and radio questions need at least two options."""
        if self.field_type.data in ("select", "radio") and len(_comma_list(field.data)) < 2:
            raise ValidationError("Give at least two options, separated by commas.")

    def options(self):
        """The options as a list (None for free text and checkboxes)."""
        if self.field_type.data in ("select", "radio"):
            return _comma_list(self.field_options.data)
        return None


def time_zone_choices():
    """Every time zone the system knows, by name."""
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class DayListField(StringField):
    """Whole numbers of days separated by commas ("30, 7"), as a list of ints."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(str(days) for days in self.data or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        parts = _comma_list(valuelist[0])
        if not all(part.isdigit() for part in parts):
            self.data = None
            raise ValueError("Use whole numbers of days separated by commas, e.g. 30, 7.")
        self.data = [int(part) for part in parts]


def _each_day_between(low, high, most):
    def check(form, field):
        days = field.data or []
        if len(days) > most or any(not low <= day <= high for day in days):
            raise ValidationError(f"Up to {most} days, each from {low} to {high}.")

    return check


EXPIRY_POLICY_CHOICES = [
    ("none", "Points never expire"),
    ("inactivity", "All points expire after months without earning"),
    ("rolling", "Each award expires months after it was earned"),
]


class SettingsForm(FlaskForm):
    """A brand's own settings (owners)."""

    name = StringField("Brand name", validators=[DataRequired(), Length(max=255)])
    hosts = StringField(
        "Host names",
        description="Separated by commas, e.g. rewards.example.com",
        validators=[MaxLength(2000), Optional()],
    )
    points_word = StringField("Word for points", validators=[DataRequired(), Length(max=30)])
    rank_word = StringField("Word for rank", validators=[DataRequired(), Length(max=30)])
    primary = StringField("Primary colour", validators=[MaxLength(9), DataRequired(), HEX])
    accent = StringField("Accent colour", validators=[MaxLength(9), DataRequired(), HEX])
    background = StringField("Background colour", validators=[MaxLength(9), DataRequired(), HEX])
    text = StringField("Text colour", validators=[MaxLength(9), DataRequired(), HEX])
    minimum_age = IntegerField("Minimum age", validators=[DataRequired(), NumberRange(18, 99)])
    referrer_bonus = IntegerField(
        "Referrer bonus (points)", validators=[InputRequired(), NumberRange(min=0, max=1_000_000)]
    )
    referee_bonus = IntegerField(
        "New member bonus (points)", validators=[InputRequired(), NumberRange(min=0, max=1_000_000)]
    )
    referral_expiry_days = IntegerField(
        "Referral expiry (days)", validators=[InputRequired(), NumberRange(min=1, max=3650)]
    )
    birthday_bonus = IntegerField(
        "Birthday bonus (points)",
        description="Paid once a year on the member's birthday, when they gave it; 0 = off.",
        validators=[InputRequired(), NumberRange(min=0, max=1_000_000)],
    )
    bad_codes_per_user_per_hour = IntegerField(
        "Wrong codes per member per hour", validators=[DataRequired(), NumberRange(1, 10_000)]
    )
    bad_codes_per_ip_per_hour = IntegerField(
        "Wrong codes per IP address per hour", validators=[DataRequired(), NumberRange(1, 10_000)]
    )
    code_lookups_per_ip_per_hour = IntegerField(
        "Code look-ups per IP address per hour (signed out)",
        validators=[DataRequired(), NumberRange(1, 10_000)],
    )
    tier_qualifying = SelectField(
        "Ranks are earned on",
        choices=[
            ("lifetime", "Lifetime points (ranks never go down)"),
            ("rolling_12_months", "Points of the last 12 months"),
            ("calendar_year", "Points of the calendar year"),
        ],
        default="lifetime",
        description="With a period, a member short of their rank keeps it through the grace "
        "days, then goes down one rank a day.",
    )
    tier_grace_days = IntegerField(
        "Rank grace (days)",
        description="Left blank: kept as it is.",
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    points_per_day = IntegerField(
        "Points per member per day",
        description="On the brand's day; blank: no cap. A scan past it still claims its code.",
        validators=[Optional(), NumberRange(1, 1_000_000_000)],
    )
    scans_per_day = IntegerField(
        "Scans that earn per member per day",
        description="Blank: no cap. Later scans claim their codes for 0 points.",
        validators=[Optional(), NumberRange(1, 1_000_000_000)],
    )
    font = SelectField("Brand font", choices=font_choices(), default=DEFAULT_FONT)
    timezone = SelectField(
        "Time zone",
        choices=time_zone_choices(),
        description="Campaigns, birthdays and the daily program run begin at midnight here.",
    )
    expiry_policy = SelectField("Points expiry", choices=EXPIRY_POLICY_CHOICES, default="none")
    # Optional: a post without the expiry fields keeps the brand's expiry as it is.
    expiry_months = IntegerField(
        "Expiry after (months)", validators=[Optional(), NumberRange(min=1, max=120)]
    )
    expiry_reminder_days = DayListField(
        "Expiry reminders (days before)",
        description="Separated by commas, e.g. 30, 7; leave empty for no reminders.",
        validators=[_each_day_between(1, 365, 10)],
    )
    logo = FileField(
        "Logo",
        description="JPEG, PNG or WebP up to 8 MB, at least 120x32 px; transparent PNG is best.",
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    remove_logo = BooleanField("Remove the logo")

    def host_list(self):
        """The host names, lower-cased."""
        return [host.lower() for host in _comma_list(self.hosts.data)]


class StaffForm(FlaskForm):
    """Add a staff member by email."""

    email = EmailField("Email", validators=[MaxLength(255), DataRequired(), Email()])
    role = SelectField("Role", choices=[(r, r.title()) for r in STAFF_ROLES])


class RoleForm(FlaskForm):
    """Change a staff member's role."""

    role = SelectField("Role", choices=[(r, r.title()) for r in STAFF_ROLES])
