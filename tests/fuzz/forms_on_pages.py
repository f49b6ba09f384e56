"""The forms the app itself renders, read from its pages: real fields to mutate, so hostile
values reach the rules behind validation instead of stopping at a missing field."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import select

from tests.fuzz.strategies import ARGUMENT
from webapp.extensions import db
from webapp.models import ScanCode


class FormReader(HTMLParser):
    """Collects {action path: {field: value}} from the POST forms of one page."""

    def __init__(self, page_path):
        super().__init__()
        self.page_path, self.forms, self.current = page_path, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            action = urlsplit(attrs.get("action") or self.page_path).path
            self.current = self.forms.setdefault(action, {})
        elif self.current is not None and tag in ("input", "select", "textarea"):
            self._field(tag, attrs)
        elif self.current is not None and tag == "option" and self._select is not None:
            self.current.setdefault(self._select, attrs.get("value") or "")

    _select = None

    def _field(self, tag, attrs):
        name = attrs.get("name")
        if not name:
            return
        if tag == "select":
            self._select = name
            return
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
            return
        self.current.setdefault(name, attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self._select = None


def fill_known(rule, ids, code):
    """`rule` with its arguments set to the world's objects (None when one is unknown)."""
    missing = []

    def value(match):
        name = match.group(2)
        if name == "code":
            return code
        if name in ids:
            return str(ids[name])
        missing.append(name)
        return ""

    path = ARGUMENT.sub(value, rule.rule)
    return None if missing else path


def read_forms(app, client, host, ids):
    """Every POST form on every GET page this client can open, by action path."""
    with app.app_context():
        code = db.session.scalar(select(ScanCode.code).where(ScanCode.batch_id == ids["batch_id"]))
    forms = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = fill_known(rule, ids, code)
        if path is None:
            continue
        response = client.get(path, base_url=host)
        if response.status_code == 200 and response.mimetype == "text/html":
            reader = FormReader(path)
            reader.feed(response.get_data(as_text=True))
            for action, fields in reader.forms.items():
                forms.setdefault(action, fields)
    return forms
