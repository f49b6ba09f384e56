"""Forms of the admin's compliance screens: a regional rule, consent texts, a staff-recorded
consent."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from webapp.input_limits import NumberRange
from webapp.loyalty.jurisdictions import FLAGS

FLAG_LABELS = {
    "registration_allowed": "Sign-ups allowed",
    "earning_allowed": "Earning points allowed",
    "redemption_allowed": "Redeeming rewards allowed",
    "physical_rewards_allowed": "Physical (shipped) rewards allowed",
    "referral_bonuses_allowed": "Referral bonuses allowed",
    "medical_only": "Medical patients only",
}


class RuleForm(FlaskForm):
    """One region's rule."""

    region = StringField(
        "Region (ISO 3166-2)",
        description="Country and state or province, e.g. US-CA or CA-AB.",
        validators=[DataRequired(), Length(max=10)],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    min_age = IntegerField(
        "Minimum age", default=21, validators=[DataRequired(), NumberRange(min=18, max=25)]
    )
    registration_allowed = BooleanField(FLAG_LABELS["registration_allowed"], default=True)
    earning_allowed = BooleanField(FLAG_LABELS["earning_allowed"], default=True)
    redemption_allowed = BooleanField(FLAG_LABELS["redemption_allowed"], default=True)
    physical_rewards_allowed = BooleanField(FLAG_LABELS["physical_rewards_allowed"], default=True)
    referral_bonuses_allowed = BooleanField(FLAG_LABELS["referral_bonuses_allowed"], default=True)
    medical_only = BooleanField(FLAG_LABELS["medical_only"], default=False)

    def rule_values(self):
        """The submitted rule as plain values."""
        values = {
            "region": (self.region.data or "").strip().upper(),
            "name": (self.name.data or "").strip(),
            "min_age": self.min_age.data,
        }
        values.update({flag: bool(getattr(self, flag).data) for flag in FLAGS})
        return values


class ConsentTextsForm(FlaskForm):
    """The SMS disclosure and the terms and privacy documents, each with a version."""

    sms_disclosure = TextAreaField(
        "SMS disclosure",
        description="Shown next to the SMS consent box; {brand} is replaced by the brand's name.",
        validators=[DataRequired(), Length(min=20, max=1000)],
    )
    sms_disclosure_version = StringField(
        "SMS disclosure version", validators=[DataRequired(), Length(max=50)]
    )
    terms_version = StringField("Terms version", validators=[DataRequired(), Length(max=50)])
    terms_url = StringField("Terms page (URL)", validators=[Optional(), Length(max=500)])
    terms_text = TextAreaField("Terms text", validators=[Optional(), Length(max=20000)])
    privacy_version = StringField("Privacy version", validators=[DataRequired(), Length(max=50)])
    privacy_url = StringField("Privacy page (URL)", validators=[Optional(), Length(max=500)])
    privacy_text = TextAreaField("Privacy text", validators=[Optional(), Length(max=20000)])


class StaffConsentForm(FlaskForm):
    """A consent change a member asked staff to make (by phone, email, in store)."""

    channel = SelectField(
        "Channel",
        choices=[SelectChoice("email", "Email offers"), SelectChoice("sms", "Text messages")],
        validators=[DataRequired()],
    )
    granted = SelectField(
        "Decision",
        choices=[SelectChoice("0", "Withdrawn"), SelectChoice("1", "Given")],
        validators=[DataRequired()],
    )
    note = StringField("How the member asked", validators=[DataRequired(), Length(max=255)])
