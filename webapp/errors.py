"""Error pages: a friendly page for people, a JSON body for machines."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db

MESSAGES = {
    400: ("Something was off", "We couldn't understand that request. Please try again."),
    401: ("Please sign in", "You need to sign in to see this."),
    403: ("Not for this account", "Your account doesn't have access to this page."),
    404: ("We couldn't find that page", "The link may be old or mistyped."),
    405: ("That didn't work", "This page can't be used that way."),
    413: ("That was too large", "Please send something smaller."),
    415: ("That didn't work", "Please send this from the form on the page."),
    429: ("Slow down a little", "Too many tries in a short time. Please wait a minute."),
    500: ("Something went wrong on our side", "We've been told. Please try again shortly."),
}


def wants_json():
    """Machines (webhooks, JSON clients) get JSON; browsers get a page."""
    if request.path.startswith(("/webhooks/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def render_error(code, title=None, message=None):
    """Render the error page or JSON body for `code`."""
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = title or default_title, message or default_message
    if wants_json():
        return jsonify({"error": title, "message": message, "status": code}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app):
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, "This form expired", "Please go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def server_error(error):
        # The failed request's transaction is no use to the error page (PendingRollbackError).
        db.session.rollback()
        return render_error(500)
