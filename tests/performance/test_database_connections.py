"""A new MariaDB connection builds no TLS context unless TLS is asked for: PyMySQL's default
"preferred" TLS loads the system's certificates on every connect (~25 ms of CPU) and,
unverified, protects nothing against an active attacker."""

import pymysql
import pytest
from flask import Flask

from webapp.database import configure_engine_options
from webapp.extensions import db


def options_for(uri, **engine_options):
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=uri, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    configure_engine_options(app)
    return app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]


@pytest.mark.sqlite_ok
def test_no_tls_option_turns_the_unverified_preferred_tls_off():
    assert options_for("mysql+pymysql://app@db.internal/cannarewards")["ssl_disabled"] is True


@pytest.mark.sqlite_ok
@pytest.mark.parametrize(
    "uri, engine_options",
    [
        ("mysql+pymysql://app@db.example.net/cr?ssl_ca=/etc/ssl/db-ca.pem", {}),
        ("mysql+pymysql://app@db.example.net/cr?ssl_verify_cert=true", {}),
        ("mysql+pymysql://app@db.example.net/cr", {"connect_args": {"ssl": {"ca": "/ca.pem"}}}),
        ("mysql+pymysql://app@db.example.net/cr", {"connect_args": {"ssl_ca": "/ca.pem"}}),
    ],
)
def test_tls_asked_for_is_left_to_the_driver(uri, engine_options):
    assert "ssl_disabled" not in options_for(uri, **engine_options)


@pytest.mark.sqlite_ok
def test_sqlite_gets_no_tls_option():
    assert "ssl_disabled" not in options_for("sqlite:///x.db")


def test_the_apps_new_connections_build_no_tls_context(app, monkeypatch):
    built = []
    original = pymysql.connections.Connection._create_ssl_ctx
    monkeypatch.setattr(
        pymysql.connections.Connection,
        "_create_ssl_ctx",
        lambda self, sslp: built.append(sslp) or original(self, sslp),
    )
    db.engine.dispose()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    assert built == []
