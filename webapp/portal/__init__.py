"""The consumer portal: one blueprint, each page in its own module (listed in `views`)."""

from flask import Blueprint

from webapp.portal.navigation import navigation_context

bp = Blueprint("portal", __name__)
bp.app_context_processor(navigation_context)
