"""The journal store on a real SQLite file: users, time ranges, scores per model version, summaries."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from llm.labels import EMOTIONS
from llm.prediction import Prediction
from serving.export import CSV_COLUMNS, csv_lines
from serving.store import JournalStore


def prediction(emotion: str, version: str) -> Prediction:
    probabilities = [0.9 if label == emotion else 0.02 for label in EMOTIONS]
    return Prediction.from_probabilities(probabilities, version)


@pytest.fixture()
def store(tmp_path):
    journal = JournalStore(f"sqlite:///{tmp_path}/sub/journal.db")  # the directory is created
    yield journal
    journal.close()


def test_entries_belong_to_their_user(store):
    mine = store.add_entry("alice", "a good day")
    assert store.get_entry("alice", mine.id).text == "a good day"
    assert store.get_entry("bob", mine.id) is None
    assert not store.delete_entry("bob", mine.id)
    assert store.list_entries("bob") == ([], 0)
    assert store.delete_entry("alice", mine.id)
    assert store.get_entry("alice", mine.id) is None


def test_timestamps_are_kept_in_utc_and_ranges_are_half_open(store):
    paris = timezone(timedelta(hours=1))
    first = store.add_entry("alice", "one", datetime(2026, 1, 5, 10, 0, tzinfo=paris))
    store.add_entry("alice", "two", datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    assert first.timestamp == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    entries, total = store.list_entries("alice", start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                                        end=datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    assert total == 1 and [e.text for e in entries] == ["one"]


def test_each_model_version_scores_an_entry_once_and_history_is_kept(store):
    entry = store.add_entry("alice", "so happy")
    assert store.add_scores([(entry.id, prediction("joy", "v1"))]) == 1
    assert store.add_scores([(entry.id, prediction("sadness", "v1"))]) == 0  # v1 already scored it
    assert store.add_scores([(entry.id, prediction("love", "v2"))]) == 1
    scores = store.get_entry("alice", entry.id).scores
    assert [(s.model_version, s.emotion) for s in scores] == [("v1", "joy"), ("v2", "love")]
    assert store.get_entry("alice", entry.id).score_for("v1").emotion == "joy"
    assert store.count_unscored("v1") == 0 and store.count_unscored("v3") == 1
    assert store.delete_entry("alice", entry.id) and store.count_scores() == 0  # scores go with the entry


def test_unscored_streams_in_id_order_after_a_cursor(store):
    ids = [store.add_entry("alice", f"entry {i}").id for i in range(5)]
    store.add_scores([(ids[1], prediction("joy", "v1"))])
    first = store.unscored("v1", limit=2)
    rest = store.unscored("v1", after_id=first[-1][0], limit=10)
    assert [i for i, _ in first + rest] == [ids[0], ids[2], ids[3], ids[4]]


def test_mood_summary_buckets_by_day_and_iso_week(store):
    for day, emotion in [(2, "joy"), (2, "joy"), (4, "sadness"), (9, "anger")]:  # March 2026: Mon 2, Mon 9
        entry = store.add_entry("alice", emotion, datetime(2026, 3, day, 12, tzinfo=UTC))
        store.add_scores([(entry.id, prediction(emotion, "v1"))])
    store.add_entry("alice", "not scored yet", datetime(2026, 3, 10, 12, tzinfo=UTC))
    weeks = store.mood_summary("alice", "week", "v1")
    summary = [(b.start.day, b.entries, b.scored, b.dominant) for b in weeks]
    assert summary == [(2, 3, 3, "joy"), (9, 2, 1, "anger")]
    days = store.mood_summary("alice", "day", "v1")
    assert [b.start.day for b in days] == [2, 4, 9, 10]
    assert days[0].emotions["joy"] == 2 and days[0].mean_scores["joy"] == pytest.approx(0.9)
    assert days[-1].dominant is None


def test_csv_export_has_one_row_per_entry_and_blanks_for_pending(store):
    scored = store.add_entry("alice", 'she said "hi",\nthen left')
    store.add_scores([(scored.id, prediction("surprise", "v1"))])
    store.add_entry("alice", "pending")
    text = "".join(csv_lines(store.iter_entries("alice"), "v1"))
    assert text.splitlines()[0].split(",") == CSV_COLUMNS
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["text"] for r in rows] == ['she said "hi",\nthen left', "pending"]
    assert rows[0]["emotion"] == "surprise" and rows[1]["emotion"] == ""
