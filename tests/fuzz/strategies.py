"""Hypothesis strategies for hostile input: values, field names, bodies, paths and queries."""

import io
import json
import re
from urllib.parse import quote, quote_from_bytes

from hypothesis import strategies as st
from wtforms import Form
from wtforms.fields import FormField
from wtforms.fields.core import UnboundField

import webapp.admin.achievement_forms
import webapp.admin.customerio
import webapp.admin.forms
import webapp.auth.forms
import webapp.portal.forms  # noqa: F401  (its forms join Form's subclasses)

# Names views read from request.form / request.args directly, besides their forms' fields.
LOOSE_NAMES = [
    "achievement_key", "change", "code", "delta", "email", "mode", "next", "note", "page", "q",
    "reason", "status", "cf_fav", "cf_favorite_form", "csrf_token",
]  # fmt: skip

FRAGMENTS = [
    "' OR 1=1 --", "\"; DROP TABLE users; --", "<script>alert(1)</script>", "{{7*7}}", "${7*7}",
    "../../etc/passwd", "%00", "\x00", "\r\n", "=HYPERLINK(\"x\")", "null", "true", "[]", "{}",
    "NaN", "-Infinity", "1e309", "0x10", "١٢٣", "²", "DELETE", "owner", "pending", "cancelled",
    "fields", "json", "#zzz", "#1f5f3f", "2024-02-30", "9999-12-31", "0000-00-00", "1990-01-01",
    "-1", "0", "1", "2147483648", "18446744073709551616", "9" * 400, "-" + "9" * 40, "1.5",
    "0.0000001", "1e-400", " ", "a@b", "x@example.com", "A" * 256 + "@example.com",
]  # fmt: skip

CONTROL_TEXT = st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp"]))
UNICODE_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
HUGE_TEXT = st.integers(100, 3_000).map(lambda n: "x" * n) | st.just("é" * 2_001)
NUMBERS = st.integers(-(10**30), 10**30).map(str) | st.floats(allow_nan=True).map(repr)

VALUES = st.one_of(
    st.just(""),
    st.sampled_from(FRAGMENTS),
    UNICODE_TEXT,
    CONTROL_TEXT,
    NUMBERS,
    HUGE_TEXT,
    st.dates().map(str),
)


def _form_classes(base=Form):
    for subclass in base.__subclasses__():
        yield subclass
        yield from _form_classes(subclass)


def _field_names(form_class, prefix=""):
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        if unbound.field_class is FormField:
            yield from _field_names(unbound.args[0], f"{prefix}{name}-")
        else:
            yield f"{prefix}{name}"


def field_names():
    """Every field name of every form of the app, and the names views read directly."""
    names = {n for cls in _form_classes() if cls.__module__.startswith("webapp.") for n in
             _field_names(cls)}  # fmt: skip
    return sorted(names | set(LOOSE_NAMES))


FIELD_NAMES = field_names()
NAMES = st.sampled_from(FIELD_NAMES) | UNICODE_TEXT.filter(bool)
FORMS = st.dictionaries(NAMES, VALUES | st.lists(VALUES, max_size=3), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | UNICODE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(UNICODE_TEXT, children),
    max_leaves=12,
)
RAW_BYTES = st.binary(max_size=300) | st.sampled_from(
    [b"a=%ED%A0%80&email=%FF%FE", b"\xff" * 50, b"=" * 100, b"&&&==&", b"%", b"a=" + b"%41" * 500]
)


def surrogate_escaped(text):
    """Percent-encoded UTF-8 where lone surrogates become their (invalid) byte triples."""
    return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def bodies(draw, base=None):
    """(keyword arguments for the test client) describing one request body; with `base` (a
    form read from a page) most bodies are that form with a few fields made hostile."""
    kinds = ["form", "form", "form", "raw", "json", "multipart", "none"]
    if base:
        kinds += ["mutated"] * 8 + ["as rendered"]
    kind = draw(st.sampled_from(kinds))
    if kind == "as rendered":
        return {"data": dict(base)}
    if kind == "mutated":
        names = st.sampled_from(sorted(base)) | NAMES
        changes = draw(st.dictionaries(names, VALUES | st.lists(VALUES, max_size=2), max_size=3))
        dropped = draw(st.sets(st.sampled_from(sorted(base)), max_size=2))
        return {"data": {k: v for k, v in base.items() if k not in dropped} | changes}
    if kind == "form":
        return {"data": draw(FORMS)}
    if kind == "raw":
        content_type = draw(
            st.sampled_from(
                ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "text/plain", "application/json", "application/xml"]
            )
        )  # fmt: skip
        return {"data": draw(RAW_BYTES), "content_type": content_type}
    if kind == "json":
        return {"data": json.dumps(draw(JSON_VALUES)), "content_type": "application/json"}
    if kind == "multipart":
        files = {
            draw(NAMES): (io.BytesIO(draw(st.binary(max_size=200))), draw(UNICODE_TEXT) or "f")
        }
        return {"data": draw(FORMS) | files, "content_type": "multipart/form-data"}
    return {}


SEGMENTS = st.one_of(
    st.sampled_from(["x", "0", "-1", "%00", "..", "A" * 300, "9" * 30, "DELETE", "a b", "é"]),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=30),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
)
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@st.composite
def paths(draw, rule, ids, known_ids):
    """A URL for `rule`: each argument the world's object of that name, another real id, a
    hostile number or hostile text."""

    def fill(match):
        converter, name = match.group(1) or "default", match.group(2)
        if converter == "int":
            own = [ids[name]] * 3 if name in ids else []
            return str(draw(st.sampled_from(own + known_ids) | st.integers(0, 10**25)))
        return surrogate_escaped(draw(SEGMENTS))

    return ARGUMENT.sub(fill, rule.rule)


@st.composite
def queries(draw):
    """A query string of hostile values (page numbers, search text, next URLs...)."""
    keys = st.sampled_from(["page", "q", "status", "next", "code", "mode"]) | NAMES
    pairs = draw(st.dictionaries(keys, VALUES | SEGMENTS, max_size=4))
    return "&".join(f"{quote(k, safe='')}={surrogate_escaped(v)}" for k, v in pairs.items())
