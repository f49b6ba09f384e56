"""Extension objects, created unbound and initialised in the app factory."""

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from webapp.replica import RoutingSession

NAMING_CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(
    model_class=Base, session_options={"expire_on_commit": False, "class_": RoutingSession}
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()
# request.htmx (HX-* request headers); responses use htmx_flask.make_response.
htmx = Htmx()
