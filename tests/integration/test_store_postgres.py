"""The journal store's tests again, on a real PostgreSQL server through a plain `postgresql://` URL."""

import pytest

from serving.store import JournalStore
from tests.code.test_serving_store import (  # noqa: F401  (collected here against PostgreSQL)
    test_csv_export_has_one_row_per_entry_and_blanks_for_pending,
    test_each_model_version_scores_an_entry_once_and_history_is_kept,
    test_entries_belong_to_their_user,
    test_mood_summary_buckets_by_day_and_iso_week,
    test_timestamps_are_kept_in_utc_and_ranges_are_half_open,
    test_unscored_streams_in_id_order_after_a_cursor,
)

pytestmark = [pytest.mark.integration]


@pytest.fixture()
def store(new_postgres_database):
    url = new_postgres_database()
    assert url.startswith("postgresql://")
    journal = JournalStore(url)
    assert journal.engine.dialect.name == "postgresql"
    yield journal
    journal.close()
