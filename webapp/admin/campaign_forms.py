"""The campaign form: a window on the brand's clock, the bonus, its targets, caps and budget."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.input_limits import NumberRange

TARGET_FIELDS = {
    "forms": "Product forms",
    "lines": "Product lines",
    "strain_types": "Strain types",
    "tags": "Tags",
    "skus": "SKUs",
    "ranks": "Rank keys",
    "segments": "AI segments",
}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def split_values(text):
    """A comma-separated list, trimmed, without blanks or repeats (order kept)."""
    values = [value.strip() for value in (text or "").split(",")]
    return list(dict.fromkeys(value for value in values if value))


class CampaignForm(FlaskForm):
    """A campaign; the times are on the brand's clock."""

    name = StringField(
        "Name",
        description='What members read on the scan result: "Double points weekend: +150".',
        validators=[DataRequired(), Length(max=100)],
    )
    starts_at = DateTimeLocalField(
        "Starts", format=DATETIME_FORMAT, validators=[DataRequired("Enter when it starts.")]
    )
    ends_at = DateTimeLocalField(
        "Ends", format=DATETIME_FORMAT, validators=[DataRequired("Enter when it ends.")]
    )
    multiplier = DecimalField(
        "Multiplier",
        places=2,
        description="Multiplies the scan's points with the rank and boost (e.g. 2 for double).",
        validators=[Optional(), NumberRange(min=1.01, max=100)],
    )
    bonus_points = IntegerField(
        "Fixed bonus points",
        description="Added to every targeted scan, after the multipliers.",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    forms = StringField("Product forms", description="Separated by commas; blank: every form.")
    lines = StringField("Product lines", description="Separated by commas; blank: every line.")
    strain_types = StringField("Strain types", description="Sativa, Indica or Hybrid.")
    tags = StringField("Tags", description="A product with any of these tags.")
    skus = StringField("SKUs", description="Separated by commas; blank: every product.")
    ranks = StringField("Rank keys", description="Members holding one of these ranks.")
    segments = StringField("AI segments", description="Members in one of these AI segments.")
    cap_kind = SelectField(
        "Per-member cap",
        choices=[("", "No cap"), ("points", "Bonus points"), ("scans", "Bonus scans")],
        validators=[Optional()],
    )
    cap_period = SelectField(
        "Cap period",
        choices=[("day", "Per day"), ("week", "Per week"), ("campaign", "Per campaign")],
        default="campaign",
    )
    cap_amount = IntegerField(
        "Cap amount", validators=[Optional(), NumberRange(min=1, max=1_000_000_000)]
    )
    budget_points = IntegerField(
        "Budget (points)",
        description="The most this campaign pays in bonuses, all members together.",
        validators=[Optional(), NumberRange(min=1, max=4_000_000_000)],
    )

    def validate_ends_at(self, field):
        """The end comes after the start."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must come after the start.")

    def validate(self, extra_validators=None):
        """The fields, then what they say together: a campaign pays something (a multiplier,
        a fixed bonus, or both), and a cap has an amount and an amount a cap."""
        valid = super().validate(extra_validators)
        pays_nothing = self.multiplier.data is None and self.bonus_points.data is None
        if pays_nothing and not self.multiplier.errors and not self.bonus_points.errors:
            self.bonus_points.errors.append("Give a multiplier, a fixed bonus, or both.")
            valid = False
        if self.cap_kind.data and self.cap_amount.data is None and not self.cap_amount.errors:
            self.cap_amount.errors.append("Enter the cap's amount.")
            valid = False
        if not self.cap_kind.data and self.cap_amount.data is not None:
            self.cap_amount.errors.append("Choose what the cap counts, or leave the amount blank.")
            valid = False
        return valid

    def targets(self):
        """The targets as stored: {kind: [values]}, only kinds with values."""
        found = {kind: split_values(getattr(self, kind).data) for kind in TARGET_FIELDS}
        return {kind: values for kind, values in found.items() if values}
