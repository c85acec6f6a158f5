"""`python -m serving.rescore` killed midway and run again: every entry ends up scored exactly once.

Run on SQLite and on a real PostgreSQL server."""

import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, insert, select

from serving.store import EntryRow, JournalStore, ScoreRow, utc_now
from tests.integration.serving_harness import PROJECT_ROOT, child_env, write_yaml

pytestmark = [pytest.mark.integration]

ENTRIES = 3000
BATCH = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/journal.db"
    return request.getfixturevalue("new_postgres_database")()


def test_a_killed_rescore_is_finished_by_the_next_run(tmp_path, tiny_model_dir, store_url):
    url = store_url
    store = JournalStore(url)
    with store.engine.begin() as connection:
        connection.execute(insert(EntryRow), [
            {"user_id": f"user{i % 3}", "text": f"journal entry number {i}, a day like any other",
             "created_at": utc_now(), "crisis": False, "crisis_matched": []} for i in range(ENTRIES)])
    model = write_yaml(tmp_path / "model.yaml", {"base_model": str(tiny_model_dir), "adapter": None})
    version = str(tiny_model_dir)  # a base model without adapter is versioned by its name
    command = [sys.executable, "-m", "serving.rescore", "--store-url", url, "--model", str(model),
               "--batch-size", str(BATCH)]

    first = subprocess.Popen(command, cwd=PROJECT_ROOT, env=child_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    while store.count_scores(version) == 0 and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)  # no chance to clean up
    first.wait()
    partial = store.count_scores(version)
    assert 0 < partial < ENTRIES, first.stdout.read()[-2000:]
    assert partial % BATCH == 0  # batches are committed whole or not at all

    second = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"scored {ENTRIES - partial} entries with {version}" in second.stdout
    assert "entries/s" in second.stdout  # the throughput
    assert f"re-scoring with {version}" in second.stderr  # the progress bar

    with store.engine.connect() as connection:
        per_entry = connection.execute(select(ScoreRow.entry_id, func.count()).where(
            ScoreRow.model_version == version).group_by(ScoreRow.entry_id)).all()
    assert len(per_entry) == ENTRIES and {count for _entry, count in per_entry} == {1}
    assert store.count_unscored(version) == 0

    third = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(), capture_output=True, text=True,
                           timeout=600)
    assert f"scored 0 entries with {version}" in third.stdout  # nothing left: idempotent
    store.close()
