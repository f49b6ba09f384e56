"""Sign in and out."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select

from webapp.auth.forms import LoginForm
from webapp.extensions import db
from webapp.loyalty.passwords import verify_password
from webapp.models import User
from webapp.urls import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password sign-in; one message for every failure (no enumeration)."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(User.email == email))
        if user and user.is_active and verify_password(form.password.data, user.password_hash):
            login_user(user, remember=True)
            return redirect(safe_next(request.args.get("next")), code=303)
        flash("That email and password don't match an account.", "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (POST only, so a link can't sign anyone out)."""
    logout_user()
    flash("You're signed out.", "success")
    return redirect(url_for("portal.index"), code=303)
