"""Column types and defaults that render the schema contract on MySQL/MariaDB and SQLite."""

from sqlalchemy import JSON, BigInteger, Enum, Integer, Numeric, String, Text, text
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

# BIGINT UNSIGNED on MySQL; INTEGER on SQLite so that the primary key autoincrements there.
BigId = (
    BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sqlite.INTEGER(), "sqlite")
)
UInt = Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")
Json = JSON()
LongText = Text()

__all__ = ["BigId", "UInt", "Json", "LongText", "Numeric", "String", "enum", "NOW", "NOW_ON_UPDATE"]


def enum(*values, name):
    """A native ENUM on MySQL, a plain VARCHAR on SQLite, validated in Python."""
    return Enum(
        *values, name=name, native_enum=True, create_constraint=False, validate_strings=True
    )


class CurrentTimestampOnUpdate(ColumnElement):
    """Server default `CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP` where the engine has it."""

    inherit_cache = True


@compiles(CurrentTimestampOnUpdate)
def _render_default(element, compiler, **kw):
    return "CURRENT_TIMESTAMP"


@compiles(CurrentTimestampOnUpdate, "mysql")
@compiles(CurrentTimestampOnUpdate, "mariadb")
def _render_mysql(element, compiler, **kw):
    return "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"


NOW = text("CURRENT_TIMESTAMP")
NOW_ON_UPDATE = CurrentTimestampOnUpdate()
ZERO = text("0")
ONE = text("1")
