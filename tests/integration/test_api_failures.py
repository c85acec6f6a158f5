"""The server under failure: a model that cannot load, overload, and shutdown with work in flight."""

import asyncio
import signal
import subprocess
import sys

import httpx
import pytest

from tests.integration.serving_harness import PROJECT_ROOT, ServerProcess, child_env, write_yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def broken_server(tmp_path_factory, tiny_model_dir):
    """A server whose LoRA adapter directory is gone: the model fails to load, the journal still works."""
    tmp = tmp_path_factory.mktemp("broken")
    removed_adapter = str(tmp / "removed")
    model = write_yaml(tmp / "model.yaml", {"base_model": str(tiny_model_dir), "adapter": removed_adapter})
    proc = ServerProcess({"model": str(model), "store_url": f"sqlite:///{tmp}/journal.db", "ui": False,
                          "explanations": False, "crisis_model": str(tmp / "no-crisis-model")}, tmp)
    try:
        proc.wait("/healthz")
        yield proc, tmp
    finally:
        proc.stop()


def test_entries_are_kept_when_the_model_fails_and_scored_later(broken_server, tiny_model_dir):
    server, tmp = broken_server
    with httpx.Client(base_url=server.url, timeout=60) as client:
        ready = server.wait("/readyz", expect=503)
        while ready["checks"]["model"] == "loading":
            ready = server.wait("/readyz", expect=503)
        assert ready["checks"]["model"] == "failed" and "adapter directory not found" in ready["model_error"]
        assert ready["checks"]["crisis_model"].startswith("failed: CrisisModelError")

        # without its learned model the screen still runs its rules: risk is flagged, nothing is lost
        risky = client.post("/v1/entries", json={"text": "I want to kill myself tonight."})
        assert risky.status_code == 201 and risky.json()["crisis"] is True

        refused = client.post("/v1/classify", json={"text": "hello"})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "model_unavailable"
        assert refused.headers["Retry-After"] == "1"

        created = client.post("/v1/entries", json={"text": "Nothing worked today, but I wrote it down."})
        assert created.status_code == 201, created.text
        entry = created.json()
        assert entry["status"] == "pending" and entry["prediction"] is None
        assert "X-Emoai-Pending" in created.headers
        assert client.get(f"/v1/entries/{entry['id']}").json()["text"] == entry["text"]

        # the re-scoring job, with a model that loads, scores what the server could not
        good = write_yaml(tmp / "good-model.yaml", {"base_model": str(tiny_model_dir), "adapter": None})
        subprocess.run([sys.executable, "-m", "serving.rescore", "--config", str(server.config_path),
                        "--model", str(good), "--batch-size", "8"], cwd=PROJECT_ROOT, env=child_env(),
                       check=True, capture_output=True, timeout=300)
        scored = client.get(f"/v1/entries/{entry['id']}").json()
        assert scored["status"] == "scored" and scored["prediction"]["model_version"] == str(tiny_model_dir)


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory):
    """The real embedded model with a tiny queue and one text per model call."""
    tmp = tmp_path_factory.mktemp("busy")
    model = write_yaml(tmp / "model.yaml", {"base_model": "smollm2-135m-instruct", "adapter": None})
    proc = ServerProcess({"model": str(model), "store_url": f"sqlite:///{tmp}/journal.db", "ui": False,
                          "explanations": False, "shutdown_grace_s": 60,
                          "batching": {"max_batch_size": 1, "max_wait_ms": 0, "max_queue": 4,
                                       "retry_after_s": 2}}, tmp)
    try:
        proc.wait("/readyz")
        yield proc
    finally:
        proc.stop()


async def _burst(url: str, count: int, text: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        return await asyncio.gather(*[client.post("/v1/classify", json={"text": f"{text} {i}"})
                                      for i in range(count)])


def test_overload_answers_503_with_retry_after(busy_server):
    responses = asyncio.run(_burst(busy_server.url, 40, "I feel a bit overwhelmed by everything today"))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1
    for response in responses:
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "overloaded"
            assert response.headers["Retry-After"] == "2"
    metrics = httpx.get(busy_server.url + "/metrics").text
    assert 'emoai_rejected_total{reason="overloaded"}' in metrics
    # once the burst is over the server answers normally again
    calm = httpx.post(busy_server.url + "/v1/classify", json={"text": "calm again"}, timeout=60)
    assert calm.status_code == 200


def test_shutdown_finishes_requests_in_flight(busy_server):
    async def scenario() -> tuple[bool, list[httpx.Response]]:
        burst = asyncio.ensure_future(_burst(busy_server.url, 4, "a long day at work"))
        async with httpx.AsyncClient(base_url=busy_server.url, timeout=30) as client:
            while not burst.done() and await _queue_depth(client) == 0:
                await asyncio.sleep(0.01)
        in_flight = not burst.done()
        busy_server.process.send_signal(signal.SIGTERM)
        return in_flight, await burst

    in_flight, responses = asyncio.run(scenario())
    assert in_flight  # the signal came while requests were queued
    assert [r.status_code for r in responses] == [200] * 4
    assert busy_server.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
    assert "Finished server process" in busy_server.log()


async def _queue_depth(client: httpx.AsyncClient) -> float:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith("emoai_queue_depth "):
            return float(line.split()[1])
    return 0.0
