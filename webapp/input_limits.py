"""Input caps checked before anything reads the input: body size per kind of route, the length
of every form and query value, and a length check that stops a field's validation early."""

from decimal import Decimal

from flask import abort, current_app, request
from wtforms import validators
from wtforms.validators import StopValidation

from webapp.media import upload_limit

MEMBER_FIELD_CHARS = 2_000
STAFF_FIELD_CHARS = 60_000  # achievement JSON is typed into text areas
MAX_NUMBER = 10**12
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def route_kind(path):
    """`webhooks`, `staff` or `member`: what kind of client a path serves."""
    if path.startswith("/webhooks/"):
        return "webhooks"
    if path.startswith("/admin/"):
        return "staff"
    return "member"


def body_limit(kind):
    """The largest body a route of `kind` reads, in bytes."""
    config = current_app.config
    limits = {
        "webhooks": config["WEBHOOK_MAX_BYTES"],
        "staff": config["STAFF_MAX_BYTES"],
        "member": config["MEMBER_MAX_BYTES"],
    }
    return min(limits[kind], config["MAX_CONTENT_LENGTH"])


def cap_request():
    """Refuse (413) a body or any single value past its route's caps, before a view reads it."""
    kind = route_kind(request.path)
    uploads = request.endpoint in current_app.config.get("UPLOAD_ENDPOINTS", ())
    request.max_content_length = upload_limit(current_app) if uploads else body_limit(kind)
    if kind == "webhooks":
        return
    if request.method in ("POST", "PUT", "PATCH") and request.is_json:
        abort(415)  # forms only: Flask-WTF would read a JSON body as the form's fields
    longest = STAFF_FIELD_CHARS if kind == "staff" else MEMBER_FIELD_CHARS
    if _too_long(request.args, longest):
        abort(413)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
        if _too_long(request.form, longest):
            abort(413)
        if request.files and not uploads:
            abort(415)  # only picture forms take a file; Flask-WTF would read it as text


def _too_long(values, longest):
    """True when a key or any of its values in the MultiDict `values` passes `longest`."""
    return any(
        len(key or "") > longest or any(len(value or "") > longest for value in items)
        for key, items in values.lists()
    )


class MaxLength:
    """A WTForms validator that stops the field's other checks when the value is too long, so
    no format check (an email parser, a pattern) ever runs over a huge value."""

    def __init__(self, maximum):
        self.maximum = maximum

    def __call__(self, form, field):
        if isinstance(field.data, str) and len(field.data) > self.maximum:
            field.errors[:] = []
            raise StopValidation(f"Please use at most {self.maximum:,} characters.")


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, with a message instead of an OverflowError for numbers too big
    to compare as floats (400 digits) and for Decimal infinities."""

    def __call__(self, form, field):
        data = field.data
        if isinstance(data, Decimal) and not data.is_finite():
            raise StopValidation("Please enter a number.")
        if isinstance(data, int | Decimal) and abs(data) > MAX_NUMBER:
            raise StopValidation(f"Please enter a number up to {MAX_NUMBER:,}.")
        super().__call__(form, field)


def register(app):
    """Check every request against the caps first."""
    app.before_request(cap_request)
