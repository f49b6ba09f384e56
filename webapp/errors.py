"""Error pages: a friendly page for people, a JSON body for machines."""

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from webapp.db_retry import is_transient
from webapp.extensions import db
from webapp.translation_marks import N_

MESSAGES = {
    400: (N_("Something was off"), N_("We couldn't understand that request. Please try again.")),
    401: (N_("Please sign in"), N_("You need to sign in to see this.")),
    403: (N_("Not for this account"), N_("Your account doesn't have access to this page.")),
    404: (N_("We couldn't find that page"), N_("The link may be old or mistyped.")),
    405: (N_("That didn't work"), N_("This page can't be used that way.")),
    413: (N_("That was too large"), N_("Please send something smaller.")),
    415: (N_("That didn't work"), N_("Please send this from the form on the page.")),
    429: (N_("Slow down a little"), N_("Too many tries in a short time. Please wait a minute.")),
    500: (N_("Something went wrong on our side"), N_("We've been told. Please try again shortly.")),
    503: (
        N_("Please try again"),
        N_("We couldn't finish that just now. Please try again in a moment."),
    ),
}


def wants_json():
    """Machines (webhooks, JSON clients) get JSON; browsers get a page."""
    if request.path.startswith(("/webhooks/", "/healthz", "/readyz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(code, title=None, message=None):
    """Render the error page or JSON body for `code`."""
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = gettext(title or default_title), gettext(message or default_message)
    if wants_json():
        return jsonify({"error": title, "message": message, "status": code}), code
    if code >= 500:
        return render_without_database(code, title, message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def render_without_database(code, title, message):
    """The error page without the context processors, which read the member and the brand
    from the database: it may be what failed."""
    template = current_app.jinja_env.get_template("errors/error.html")
    return template.render(
        code=code, title=title, message=message, request=request, brand=g.get("brand")
    )


def database_unavailable(error):
    """A deadlock or lost connection that could not be retried: a friendly "try again"."""
    if not is_transient(error):
        raise error
    db.session.rollback()
    body, code = render_error(503, *MESSAGES[503])
    return body, code, {"Retry-After": "5"}


def register(app):
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, N_("This form expired"), N_("Please go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def server_error(error):
        # The failed request's transaction is no use to the error page (PendingRollbackError).
        db.session.rollback()
        return render_error(500)

    app.register_error_handler(DBAPIError, database_unavailable)
