"""Hardening fixtures: the admin world (two brands, staff of every role) and the Customer.io
fake, reused."""

from tests.admin.conftest import inline_jobs, owner, world  # noqa: F401  (fixtures)
from tests.customerio.conftest import cio  # noqa: F401  (fixture)
