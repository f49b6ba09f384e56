"""Logs: one JSON object a line in production, each carrying the request id of the request
(or job) that wrote it; the id is returned in `X-Request-ID` and travels with queued jobs."""

import contextvars
import logging
import re
import uuid

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"

_request_id = contextvars.ContextVar("request_id", default=None)


def current_request_id():
    """The id of the request or job being handled, or None outside of one."""
    return _request_id.get()


def bind_request_id(request_id):
    """Make `request_id` the id of what this thread (or task) does next; returns a token."""
    return _request_id.set(request_id)


def unbind_request_id(token):
    """Forget the id bound by `bind_request_id`."""
    _request_id.reset(token)


def accepted_request_id(incoming):
    """The client's (or proxy's) id when it looks like one, else a fresh random id."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def json_formatter():
    """The JSON formatter every process uses (also gunicorn's own loggers)."""
    return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})


def _install_record_factory():
    """Every log record gets a `request_id` attribute, whoever logs it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    factory.adds_request_id = True
    logging.setLogRecordFactory(factory)


def configure_logging(app):
    """Log to stderr at INFO, JSON when LOG_FORMAT is json (the production default)."""
    _install_record_factory()
    root = logging.getLogger()
    if root.handlers:
        return  # gunicorn, pytest or an embedding program configured logging already
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def _begin_request():
    g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = bind_request_id(g.request_id)


def _answer_with_request_id(response):
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _end_request(_error):
    token = g.pop("request_id_token", None)
    if token is not None:
        unbind_request_id(token)


def register(app):
    """Give every request an id, returned in `X-Request-ID`."""
    app.before_request(_begin_request)
    app.after_request(_answer_with_request_id)
    app.teardown_request(_end_request)
