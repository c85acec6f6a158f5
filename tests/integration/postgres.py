"""A real PostgreSQL server for the tests: `pgserver` (PyPI) runs PostgreSQL's own binaries in a temp dir."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pgserver
from sqlalchemy import create_engine, text

from serving.store import engine_url

_database_numbers = itertools.count()


def postgres_server(data_dir: Path) -> Iterator[Callable[[], str]]:
    """Start PostgreSQL in ``data_dir``; yield a factory of URLs, each naming a new, empty database."""
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    admin = create_engine(engine_url(server.get_uri()), isolation_level="AUTOCOMMIT")

    def new_database() -> str:
        name = f"emoai_test_{next(_database_numbers)}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        return server.get_uri(name)  # a plain postgresql:// URL, as a user would write it

    try:
        yield new_database
    finally:
        admin.dispose()
        server.cleanup()
