"""Forms of the sign-in area, with a brand's custom questions added per request."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from webapp.i18n import translated
from webapp.input_limits import MaxLength
from webapp.loyalty.compliance_settings import sms_disclosure
from webapp.loyalty.custom_answers import MAX_TEXT_LENGTH, form_key
from webapp.loyalty.jurisdictions import asks_region, brand_rules, operating_regions

PASSWORD_HELP = _l("At least 10 characters.")


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[MaxLength(255), DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class NameFields(FlaskForm):
    """Names, phone and consent: shared by sign-up and the profile."""

    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
    phone_number = TelField(
        _l("Phone number"),
        description=_l("With the area code. Needed only for text messages."),
        validators=[Optional(), Length(max=30)],
    )
    marketing_consent = BooleanField(_l("Send me offers and news by email"), default=False)
    # Described by the brand's SMS disclosure, set per request (`offer_sms_consent`).
    sms_consent = BooleanField(_l("Send me offers by text message"), default=False)


def offer_sms_consent(form, disclosure):
    """Show the brand's disclosure text with the SMS consent box."""
    form.sms_consent.description = disclosure


class RegisterForm(NameFields):
    """Sign-up: account, age check, consent and an optional referral code."""

    email = EmailField(_l("Email"), validators=[MaxLength(255), DataRequired(), Email()])
    password = PasswordField(
        _l("Password"), description=PASSWORD_HELP, validators=[DataRequired(), Length(max=200)]
    )
    date_of_birth = DateField(
        _l("Date of birth"),
        format="%Y-%m-%d",
        invalid_value_message=_l("Please enter your date of birth as YYYY-MM-DD."),
        description=_l("We only check your age; we don't keep your birthday."),
        validators=[InputRequired(_l("Please enter your date of birth."))],
    )
    referral_code = StringField(_l("Referral code"), validators=[Optional(), Length(max=50)])
    region = SelectField(
        _l("Where you live"),
        description=_l("What the program offers depends on your state or province."),
        choices=[],
        validate_choice=False,
        validators=[Optional()],
    )
    medical_attested = BooleanField(
        _l("I am a registered medical cannabis patient where I live"), default=False
    )
    accept_terms = BooleanField(
        _l("I accept the program terms and the privacy policy"),
        validators=[
            DataRequired(_l("Please accept the program terms and privacy policy to join."))
        ],
    )


def offer_regions(form, regions):
    """The brand's regions as the choices of the form's `region` field."""
    form.region.choices = [SelectChoice("", gettext("Choose your state or province"))] + [
        SelectChoice(code, f"{name} ({code})") for code, name in regions
    ]


class RegionForm(FlaskForm):
    """Where the member lives; a higher minimum age there asks for the date of birth."""

    region = SelectField(
        _l("Where you live"), choices=[], validate_choice=False, validators=[DataRequired()]
    )
    date_of_birth = DateField(
        _l("Date of birth"),
        format="%Y-%m-%d",
        invalid_value_message=_l("Please enter your date of birth as YYYY-MM-DD."),
        description=_l("Only asked when your new region has a higher minimum age."),
        validators=[Optional()],
    )
    medical_attested = BooleanField(
        _l("I am a registered medical cannabis patient where I live"), default=False
    )


class AcceptTermsForm(FlaskForm):
    """Accepting a brand's updated terms and privacy policy."""

    accept_terms = BooleanField(
        _l("I accept the updated terms and privacy policy"),
        validators=[DataRequired(_l("Please tick the box to continue."))],
    )


class ProfileForm(NameFields):
    """What a member can change about themselves."""


class ForgotPasswordForm(FlaskForm):
    """The email to send a reset link to."""

    email = EmailField(_l("Email"), validators=[MaxLength(255), DataRequired(), Email()])


class NewPasswordForm(FlaskForm):
    """A new password (reset link or guest activation)."""

    password = PasswordField(
        _l("New password"), description=PASSWORD_HELP, validators=[DataRequired(), Length(max=200)]
    )


class DeleteAccountForm(FlaskForm):
    """Typing DELETE confirms the deletion."""

    confirm = StringField(_l("Type DELETE to confirm"), validators=[DataRequired()])


def _custom_field(field):
    required = (
        [DataRequired(_l("Please answer this question."))] if field.is_required else [Optional()]
    )
    options = [SelectChoice(str(option)) for option in field.field_options or []]
    if field.field_type == "select":
        choices = [SelectChoice("", _l("Choose one")), *options]
        return SelectField(
            field.field_label, choices=choices, validators=required, validate_choice=False
        )
    if field.field_type == "radio":
        return RadioField(
            field.field_label, choices=options, validators=required, validate_choice=False
        )
    if field.field_type == "checkbox":
        return BooleanField(field.field_label, validators=required)
    return StringField(field.field_label, validators=required + [Length(max=MAX_TEXT_LENGTH)])


def with_custom_fields(form_class, fields):
    """`form_class` plus one `cf_<field_key>` field per custom field."""
    extended = type(form_class.__name__, (form_class,), {})
    for field in fields:
        setattr(extended, form_key(field), _custom_field(field))
    return extended


def custom_values(form, fields):
    """The submitted answers keyed by field_key."""
    return {field.field_key: form[form_key(field)].data for field in fields}


def attach_errors(form, errors):
    """Show service-level errors next to their fields, in the member's language."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, translated(message)]


class JoinForm(FlaskForm):
    """An existing account joins this brand's program: age check and the brand's consent."""

    date_of_birth = DateField(
        _l("Date of birth"),
        format="%Y-%m-%d",
        invalid_value_message=_l("Please enter your date of birth as YYYY-MM-DD."),
        description=_l("We only check your age; we don't keep your birthday."),
        validators=[InputRequired(_l("Please enter your date of birth."))],
    )
    marketing_consent = BooleanField(_l("Send me offers and news by email"), default=False)
    accept_terms = BooleanField(
        _l("I accept the program terms and the privacy policy"),
        validators=[
            DataRequired(_l("Please accept the program terms and privacy policy to join."))
        ],
    )


def prepare_signup_form(form, brand):
    """Fit the sign-up form to the brand: its regions, its SMS disclosure; returns what the
    template shows (`asks_region`, `asks_medical`)."""
    offer_regions(form, operating_regions(brand.id))
    offer_sms_consent(form, sms_disclosure(brand, gettext)[0])
    if asks_region(brand.id):
        form.region.validators = [DataRequired(_l("Please choose where you live."))]
        form.region.flags.required = True
    return {
        "asks_region": asks_region(brand.id),
        "asks_medical": any(rule.medical_only for rule in brand_rules(brand.id)),
    }
