"""Every setting, read from the environment once, with embedded defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

# Customer.io's Track API host for each workspace region (the first is the default).
TRACK_URLS = {"us": "https://track.customer.io", "eu": "https://track-eu.customer.io"}


class ConfigError(RuntimeError):
    """The environment is missing something production needs."""


def _flag(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret(instance_path, name, make):
    """Read a development secret from instance/, generating it on first use."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def track_url_for(region, override=None):
    """The Track API base URL: ``override`` when given, else the host of the region."""
    if override:
        return override.rstrip("/")
    return TRACK_URLS.get((region or "").strip().lower(), TRACK_URLS["us"])


def _track_url(env):
    return track_url_for(env.get("CUSTOMERIO_REGION"), env.get("CUSTOMERIO_TRACK_URL"))


def _secrets(env, instance_path, production):
    secret_key = env.get("SECRET_KEY")
    encryption_key = env.get("ENCRYPTION_KEY")
    if production:
        missing = [
            n for n, v in (("SECRET_KEY", secret_key), ("ENCRYPTION_KEY", encryption_key)) if not v
        ]
        if missing:
            raise ConfigError(
                "APP_ENV=production needs " + " and ".join(missing) + ". Set SECRET_KEY to a long "
                "random string and ENCRYPTION_KEY to one or more comma-separated Fernet keys "
                "(python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )
    secret_key = secret_key or _dev_secret(instance_path, "secret_key", secrets.token_urlsafe)
    encryption_key = encryption_key or _dev_secret(
        instance_path, "encryption_key", lambda: Fernet.generate_key().decode()
    )
    return secret_key, encryption_key


def load_config(instance_path, environ=None):
    """Build the Flask config mapping from the environment (os.environ by default)."""
    env = os.environ if environ is None else environ
    app_env = env.get("APP_ENV", "development")
    production = app_env == "production"
    secret_key, encryption_key = _secrets(env, instance_path, production)
    sqlite_path = Path(instance_path) / "cannarewards.sqlite3"
    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret_key,
        "ENCRYPTION_KEY": encryption_key,
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{sqlite_path}",
        # No ping on every checkout and no rollback on every return (a round trip each per
        # request): webapp/database.py pings a connection idle over DATABASE_PING_IDLE_SECONDS
        # and rolls back only an open transaction; a connection lost while busy fails its
        # statement, which the view runs once more on a fresh one or answers with the friendly
        # 503 (tests/reliability/test_database_faults.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600, "pool_reset_on_return": None},
        "DATABASE_PING_IDLE_SECONDS": float(env.get("DATABASE_PING_IDLE_SECONDS", "10")),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "QUEUE_PREFIX": env.get("QUEUE_PREFIX", "cannarewards"),
        "PUBLIC_URL": env.get("PUBLIC_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}").rstrip(
            "/"
        ),
        "DEFAULT_BRAND": env.get("DEFAULT_BRAND") or None,
        "CUSTOMERIO_TRACK_URL": _track_url(env),
        "CUSTOMERIO_SITE_ID": env.get("CUSTOMERIO_SITE_ID") or None,
        "CUSTOMERIO_API_KEY": env.get("CUSTOMERIO_API_KEY") or None,
        "CUSTOMERIO_WEBHOOK_SIGNING_KEY": env.get("CUSTOMERIO_WEBHOOK_SIGNING_KEY") or None,
        "CUSTOMERIO_WEBHOOK_TOKEN": env.get("CUSTOMERIO_WEBHOOK_TOKEN") or None,
        "WEBHOOK_REPLAY_WINDOW": int(env.get("WEBHOOK_REPLAY_WINDOW", "300")),
        "WEBHOOK_MAX_BYTES": int(env.get("WEBHOOK_MAX_BYTES", str(256 * 1024))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "MEMBER_MAX_BYTES": int(env.get("MEMBER_MAX_BYTES", str(64 * 1024))),
        "STAFF_MAX_BYTES": int(env.get("STAFF_MAX_BYTES", str(1024 * 1024))),
        "PORT": int(env.get("PORT", "5000")),
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS", "0")),
        "LOG_FORMAT": env.get("LOG_FORMAT") or ("json" if production else "text"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "DATABASE_REPLICA_URL": env.get("DATABASE_REPLICA_URL") or None,
        "REPLICA_MAX_LAG_SECONDS": int(env.get("REPLICA_MAX_LAG_SECONDS", "30")),
        "REPLICA_CHECK_SECONDS": float(env.get("REPLICA_CHECK_SECONDS", "5")),
        "READY_MAX_QUEUE_DEPTH": int(env.get("READY_MAX_QUEUE_DEPTH", "0")),
        "SWEEP_SECONDS": int(env.get("SWEEP_SECONDS", "15")),
        "OUTBOX_PROCESSING_TIMEOUT": int(env.get("OUTBOX_PROCESSING_TIMEOUT", "45")),
        # A queued delivery job waits this long after it was enqueued for the rest of its burst.
        "OUTBOX_GATHER_SECONDS": float(env.get("OUTBOX_GATHER_SECONDS", "0.25")),
        # Sent outbox rows are deleted this many days after they were sent (deliveries.purge).
        "OUTBOX_RETENTION_DAYS": int(env.get("OUTBOX_RETENTION_DAYS", "30")),
        "MEDIA_FOLDER": str(
            Path(env.get("MEDIA_FOLDER") or Path(instance_path) / "media").absolute()
        ),
        # Text responses are compressed (Flask-Compress); streamed ones (CSV exports) are not.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/plain",
            "text/csv",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
            "image/svg+xml",
        ],
        "COMPRESS_STREAMS": False,
        "MEDIA_MAX_BYTES": int(env.get("MEDIA_MAX_BYTES", str(8 * 1024 * 1024))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        "TESTING": _flag(env.get("TESTING", "0")),
        # `make bench` only: the floor endpoint and round-trip counts (webapp/benchmark.py).
        "BENCH_ENDPOINTS": _flag(env.get("BENCH_ENDPOINTS", "0")),
        "BENCH_COUNTS_DIR": env.get("BENCH_COUNTS_DIR") or None,
    }
