"""Fuzz fixtures: the admin world (two brands, staff of every role) and the Customer.io fake."""

from tests.admin.conftest import world  # noqa: F401  (fixture)
from tests.customerio.conftest import cio  # noqa: F401  (fixture)
