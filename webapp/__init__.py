"""CannaRewards: the application factory."""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_babel import gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import load_config
from webapp.extensions import compress, csrf, db, htmx, login_manager, migrate
from webapp.translation_marks import N_

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app: settings, extensions, blueprints, error pages, commands."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    configure_logging(app)
    trust_proxies(app)
    register_upload_limits(app)
    register_extensions(app)
    register_benchmark(app)
    register_blueprints(app)
    register_languages(app)
    register_database_retry(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def configure_logging(app):
    """Log to stderr (gunicorn and the worker collect it), JSON in production."""
    from webapp.logs import configure_logging as configure

    configure(app)


def trust_proxies(app):
    """Behind TRUSTED_PROXY_HOPS load balancers, the client's address and scheme are theirs to
    tell (X-Forwarded-For, X-Forwarded-Proto); without any, those headers are ignored."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app):
    """Bind the unbound extension objects to this app."""
    from webapp import models  # noqa: F401  (registers every table on the metadata)
    from webapp.database import configure_engine_options, install_idle_ping

    configure_engine_options(app)
    db.init_app(app)
    with app.app_context():
        install_idle_ping(app, db.engine)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to continue.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    compress.init_app(app)
    app.after_request(_buffer_static_text)  # runs before Flask-Compress's hook
    htmx.init_app(app)

    @login_manager.user_loader
    def load_user(identity):
        from webapp.loyalty.account_sessions import member_for_identity
        from webapp.portal.pending_scan import is_claim_request
        from webapp.tenancy import current_brand, remember_wallet

        brand = current_brand() if has_request_context() else None
        brand_id = brand.id if brand else None
        found = member_for_identity(identity, brand_id, lock=is_claim_request())
        if found is None:
            return None
        user, wallet = found
        if wallet is not None:
            remember_wallet(wallet)
        return user


def register_benchmark(app):
    """The benchmark's floor endpoint and round-trip counter (only with BENCH_ENDPOINTS); its
    request hook runs before any other that may touch the database."""
    from webapp.benchmark import register

    register(app)


def register_upload_limits(app):
    """The admin forms that take a picture accept bodies up to MEDIA_MAX_BYTES."""
    from webapp.media import allow_uploads

    allow_uploads(app, {"admin.product_new", "admin.product_edit", "admin.settings"})


def register_blueprints(app):
    """Attach each area of the app."""
    from webapp.admin.views import bp as admin_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.fonts import register as register_fonts
    from webapp.media import register as register_media
    from webapp.portal.views import bp as portal_bp
    from webapp.system import bp as system_bp
    from webapp.webhooks import bp as webhooks_bp

    app.register_blueprint(system_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(webhooks_bp)
    register_media(app)
    register_fonts(app)


def register_languages(app):
    """Flask-Babel: the member's language, the switcher, locale-aware numbers and dates."""
    from webapp.i18n import register
    from webapp.portal.wording import register as register_wording

    register(app)
    register_wording(app)


def register_database_retry(app):
    """Views run once more after a deadlock or a lost connection, when that is safe."""
    from webapp.db_retry import install

    install(app)


def register_errorhandlers(app):
    """Friendly error pages for people, JSON for machines."""
    from webapp.errors import register

    register(app)


def register_request_hooks(app):
    """Per-request context: input caps first, the brand, template globals, security headers."""
    from webapp import input_limits, logs, replica, security_headers, tenancy

    logs.register(app)
    replica.register(app)
    input_limits.register(app)
    tenancy.register(app)
    security_headers.register(app)


def register_commands(app):
    """The `flask` commands operators use."""
    from webapp.cli import register

    register(app)


def _buffer_static_text(response):
    """Static CSS, JS and SVG come as file streams, which Flask-Compress leaves alone (CSV
    exports must stream); read these small files into the response so they are compressed."""
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
    ):
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response
