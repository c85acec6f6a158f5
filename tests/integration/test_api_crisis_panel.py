"""The server with the shipped crisis panel (`crisis_model: shipped`, the default): real uvicorn, real SQLite."""

import httpx
import pytest

from llm.safety import matched_rules
from tests.integration.serving_harness import ServerProcess, write_yaml

pytestmark = [pytest.mark.integration]

# risk the rules have no pattern for; every model of the panel flags it
INDIRECT_PLAN = ("I have been giving my things away and I wrote letters to everyone I love. "
                 "Sunday feels like the right day.")
ORDINARY = "Had a long walk with my sister and we laughed about the dog."


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    tmp = tmp_path_factory.mktemp("panel")
    model = write_yaml(tmp / "model.yaml", {"base_model": str(tiny_model_dir), "adapter": None})
    proc = ServerProcess({"model": str(model), "store_url": f"sqlite:///{tmp}/journal.db", "ui": False,
                          "explanations": False, "crisis_model": "shipped"}, tmp)
    try:
        proc.wait("/readyz")
        yield proc
    finally:
        proc.stop()


def test_the_panel_flags_risk_the_rules_miss_and_leaves_ordinary_entries_alone(server):
    assert not matched_rules(INDIRECT_PLAN)  # without the panel this entry would not be flagged
    with httpx.Client(base_url=server.url, timeout=120) as client:
        assert client.get("/readyz").json()["checks"]["crisis_model"] == "ready"
        risky = client.post("/v1/entries", json={"text": INDIRECT_PLAN})
        assert risky.status_code == 201, risky.text
        assert risky.json()["crisis"] is True
        ordinary = client.post("/v1/entries", json={"text": ORDINARY})
        assert ordinary.status_code == 201 and ordinary.json()["crisis"] is False
        listed = client.get("/v1/entries").json()
        flags = {entry["text"]: entry["crisis"] for entry in listed["entries"]}
        assert flags == {INDIRECT_PLAN: True, ORDINARY: False}  # the flag is stored with the entry
