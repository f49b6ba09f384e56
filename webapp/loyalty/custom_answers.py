"""A brand's custom profile questions: which are asked, checking answers, saving them."""

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import CustomField, User, UserCustomFieldValue

MAX_TEXT_LENGTH = 500
CHECKBOX_VALUE = "yes"


def active_fields(brand_id):
    """The brand's active custom fields in display order."""
    query = (
        select(CustomField)
        .where(CustomField.brand_id == brand_id, CustomField.is_active.is_(True))
        .order_by(CustomField.field_order, CustomField.id)
    )
    return list(db.session.scalars(query))


def form_key(field):
    """The form field name of a custom field (`cf_<field_key>`)."""
    return f"cf_{field.field_key}"


def _check(field, value):
    """An error message for `value`, or None when it is acceptable."""
    if not value:
        return "Please answer this question." if field.is_required else None
    if field.field_type in ("select", "radio"):
        if value not in (field.field_options or []):
            return "Please choose one of the options."
    elif field.field_type == "checkbox":
        if value != CHECKBOX_VALUE:
            return "Please tick the box or leave it empty."
    elif len(value) > MAX_TEXT_LENGTH:
        return f"Please keep this under {MAX_TEXT_LENGTH} characters."
    return None


def _normalise(raw):
    """A submitted answer as a stripped string; a ticked checkbox (True) is "yes"."""
    if raw is True:
        return CHECKBOX_VALUE
    if raw is None or raw is False:
        return ""
    return str(raw).strip()


def check_answers(fields, values):
    """(clean answers by field id, errors keyed by form field name) for `values` by field_key."""
    clean, errors = {}, {}
    for field in fields:
        value = _normalise(values.get(field.field_key))
        error = _check(field, value)
        if error:
            errors[form_key(field)] = error
        elif value:
            clean[field.id] = value
    return clean, errors


def save_answers(user_id, fields, clean):
    """Replace the member's answers to `fields` with `clean` (answers by field id)."""
    # Saves of one member queue behind the member's row: two deletes-then-inserts never
    # interleave into a duplicate key or a deadlock.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    field_ids = [field.id for field in fields]
    if field_ids:
        db.session.execute(
            delete(UserCustomFieldValue).where(
                UserCustomFieldValue.user_id == user_id,
                UserCustomFieldValue.custom_field_id.in_(field_ids),
            )
        )
    for field_id, value in clean.items():
        db.session.add(
            UserCustomFieldValue(user_id=user_id, custom_field_id=field_id, field_value=value)
        )


def answers_by_key(user_id, brand_id):
    """The member's answers to the brand's fields, keyed by field_key."""
    query = (
        select(CustomField.field_key, UserCustomFieldValue.field_value)
        .join(UserCustomFieldValue, UserCustomFieldValue.custom_field_id == CustomField.id)
        .where(UserCustomFieldValue.user_id == user_id, CustomField.brand_id == brand_id)
    )
    return dict(db.session.execute(query).all())
