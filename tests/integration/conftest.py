"""Fixtures for the integration tier: a real PostgreSQL server shared by the tests that need one."""

import pytest

from tests.integration.postgres import postgres_server


@pytest.fixture(scope="session")
def new_postgres_database(tmp_path_factory):
    """A factory of URLs of new, empty databases on a real PostgreSQL server (started once per session)."""
    yield from postgres_server(tmp_path_factory.mktemp("postgres"))
