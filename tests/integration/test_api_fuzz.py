"""The published OpenAPI document is the contract: schemathesis generates requests from it, valid and invalid,
and runs every check (statuses, content types, headers, response schemas, Allow, invalid data refused, valid
data accepted, stateful links between routes) against the real server on the embedded default model with the
shipped crisis panel and explanations on. Any new mismatch between the document and the server fails here.

The full run (1,000+ requests, `st run ... --checks all`) is in docs/serving.md; this one is bounded for CI.
"""

import time
from pathlib import Path

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from serving.api import create_app
from serving.config import ServingConfig
from tests.integration.serving_harness import PROJECT_ROOT, ServerProcess, write_yaml

pytestmark = [pytest.mark.slow, pytest.mark.integration]

EXAMPLES_PER_OPERATION = 12


def served_config(tmp: Path) -> dict:
    """The server's config: the defaults (embedded model, shipped panel, explanations) in a scratch folder."""
    retrieval = yaml.safe_load((PROJECT_ROOT / "configs" / "retrieval.yaml").read_text())
    retrieval["chroma"]["path"] = str(tmp / "chroma")
    return {"store_url": f"sqlite:///{tmp}/journal.db", "ui": False,
            "retrieval_config": str(write_yaml(tmp / "retrieval.yaml", retrieval))}


# the document the server publishes, built without starting it (test_the_server_publishes_this_document checks)
DOCUMENT = create_app(ServingConfig(store_url="sqlite://", ui=False)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    proc = ServerProcess(served_config(tmp), tmp)
    try:
        deadline = time.monotonic() + 600
        while proc.wait("/readyz", timeout_s=600)["checks"]["explanations"] != "ready":
            assert time.monotonic() < deadline, proc.log()[-4000:]
            time.sleep(1)
        yield proc
    finally:
        proc.stop()


def test_the_server_publishes_this_document(server):
    assert httpx.get(f"{server.url}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_server_keeps_its_published_contract(case, server):
    case.call_and_validate(base_url=server.url, timeout=60)
