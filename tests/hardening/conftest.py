"""Hardening fixtures: the admin world (two brands, staff of every role) reused."""

from tests.admin.conftest import inline_jobs, owner, world  # noqa: F401  (fixtures)
