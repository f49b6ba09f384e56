"""The admin blueprint and its access hook."""

from flask import Blueprint

from webapp.admin.security import load_staff

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(load_staff)
