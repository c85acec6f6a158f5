"""The JSON API on a real uvicorn server (tiny random model, real SQLite): shapes, 4xx, isolation, export."""

import asyncio
import csv
import io

import httpx
import pytest

from llm.labels import EMOTIONS
from tests.integration.serving_harness import ServerProcess, write_yaml

pytestmark = [pytest.mark.integration]

ALICE = {"X-API-Key": "key-alice"}
BOB = {"Authorization": "Bearer key-bob"}
MAX_CHARS = 200
MAX_TEXTS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model_dir):
    tmp = tmp_path_factory.mktemp("api")
    model = write_yaml(tmp / "model.yaml", {"base_model": str(tiny_model_dir), "adapter": None})
    proc = ServerProcess({"model": str(model), "store_url": f"sqlite:///{tmp}/journal.db", "ui": False,
                          "explanations": False, "api_keys": {"key-alice": "alice", "key-bob": "bob"},
                          "limits": {"max_text_chars": MAX_CHARS, "max_batch_texts": MAX_TEXTS},
                          "batching": {"max_wait_ms": 100, "max_batch_size": 64}}, tmp)
    try:
        proc.wait("/readyz")
        yield proc
    finally:
        proc.stop()


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The one error shape: {"error": {"code", "message", "details"}} and nothing else."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"].strip()
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_health_ready_and_model(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["checks"]["store"] == "ready"
    assert ready["checks"]["crisis_model"] == "ready"  # the shipped panel, the default
    model = client.get("/v1/model", headers=ALICE).json()
    assert model["state"] == "ready" and model["model"]["backend"] == "transformers"
    assert "/v1/classify" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_classify_one_and_many(client):
    one = client.post("/v1/classify", json={"text": "I am so happy today!"}, headers=ALICE).json()
    many = client.post("/v1/classify", json={"texts": ["I miss her", "what a surprise", "so angry"]},
                       headers=ALICE).json()
    assert len(one["predictions"]) == 1 and len(many["predictions"]) == 3
    for prediction in one["predictions"] + many["predictions"]:
        assert set(prediction["scores"]) == set(EMOTIONS)
        assert sum(prediction["scores"].values()) == pytest.approx(1.0, abs=1e-4)
        assert prediction["emotion"] == max(prediction["scores"], key=prediction["scores"].get)
        assert prediction["confidence"] == pytest.approx(prediction["scores"][prediction["emotion"]])
    assert one["model"]["version"] == many["model"]["version"]


BAD_CLASSIFY = [
    ("empty text", {"text": ""}, 422),
    ("whitespace text", {"text": "  \n\t "}, 422),
    ("text over the limit", {"text": "a" * (MAX_CHARS + 1)}, 422),
    ("too many texts", {"texts": ["fine"] * (MAX_TEXTS + 1)}, 422),
    ("empty list", {"texts": []}, 422),
    ("a blank text in a batch", {"texts": ["fine", " "]}, 422),
    ("number instead of text", {"text": 123}, 422),
    ("string instead of list", {"texts": "just one"}, 422),
    ("unknown field", {"text": "fine", "language": "en"}, 422),
    ("both text and texts", {"text": "fine", "texts": ["fine"]}, 422),
    ("neither text nor texts", {}, 422),
    ("null text beside texts", {"text": None, "texts": ["fine"]}, 422),
    ("blank text", {"text": " \u3000\n"}, 422),
    ("NUL in text", {"text": "fine\u0000"}, 422),
    ("not an object", ["fine"], 422),
]


@pytest.mark.parametrize(("case", "body", "status"), BAD_CLASSIFY, ids=[c[0] for c in BAD_CLASSIFY])
def test_bad_classify_input_gets_one_error_shape(client, case, body, status):
    error = assert_error(client.post("/v1/classify", json=body, headers=ALICE), status, "validation_error")
    assert error["details"], case


def test_invalid_json_and_unknown_routes(client):
    assert_error(client.post("/v1/classify", content=b'{"text": "unterminated', headers={
        **ALICE, "Content-Type": "application/json"}), 400, "invalid_json")
    assert_error(client.get("/v1/nothing-here", headers=ALICE), 404, "not_found")
    assert_error(client.put("/v1/classify", json={"text": "x"}, headers=ALICE), 405, "method_not_allowed")
    bad_time = {"text": "ok", "timestamp": "yesterday"}
    assert_error(client.post("/v1/entries", json=bad_time, headers=ALICE), 422, "validation_error")
    assert_error(client.get("/v1/entries", params={"limit": 0}, headers=ALICE), 422)
    assert_error(client.get("/v1/mood/summary", params={"period": "month"}, headers=ALICE), 422)
    assert_error(client.get("/v1/entries/abc", headers=ALICE), 404, "not_found")  # ids are digits only
    # beyond what either database can hold: refused, not a 500
    assert_error(client.get("/v1/entries/6633778264744927428608", headers=ALICE), 422)
    assert_error(client.get("/v1/entries", params={"offset": 2**63}, headers=ALICE), 422)
    # date-times are RFC 3339 strings with an offset; a number is not taken as a Unix time
    for route in ("/v1/entries", "/v1/entries/export", "/v1/mood/summary"):
        assert_error(client.get(route, params={"start": "0.5"}, headers=ALICE), 422)
        assert client.get(route, params={"start": "0001-01-01T00:00:00+05:00"}, headers=ALICE).status_code == 200
    assert_error(client.post("/v1/entries", json={"text": "ok", "timestamp": 1700000000}, headers=ALICE), 422)
    assert_error(client.post("/v1/entries", json={"text": "ok", "explain": "yes"}, headers=ALICE), 422)
    # 405 names every method of the resource, across the routes that share its path
    assert client.options("/v1/entries/1", headers=ALICE).headers["Allow"] == "DELETE, GET"
    assert client.post("/v1/entries/export", headers=ALICE).headers["Allow"] == "GET"
    # the server is still fine after all of that
    assert client.post("/v1/classify", json={"text": "still here"}, headers=ALICE).status_code == 200


def test_api_keys_are_required(client):
    assert_error(client.post("/v1/classify", json={"text": "hello"}), 401, "unauthorized")
    assert_error(client.get("/v1/entries", headers={"X-API-Key": "not-a-key"}), 401, "unauthorized")
    assert client.get("/healthz").status_code == 200  # health stays open


def test_entries_are_stored_scored_and_isolated_per_user(client):
    created = client.post("/v1/entries", json={"text": "Alice's private thoughts"}, headers=ALICE)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["status"] == "scored" and entry["prediction"]["emotion"] in EMOTIONS
    assert created.headers["Location"] == f"/v1/entries/{entry['id']}"
    stored = client.get(f"/v1/entries/{entry['id']}", headers=ALICE).json()
    assert stored["text"] == "Alice's private thoughts"

    # Bob can neither read, list nor delete it
    assert_error(client.get(f"/v1/entries/{entry['id']}", headers=BOB), 404, "not_found")
    assert_error(client.delete(f"/v1/entries/{entry['id']}", headers=BOB), 404, "not_found")
    assert entry["id"] not in [e["id"] for e in client.get("/v1/entries", headers=BOB).json()["entries"]]
    bob_export = client.get("/v1/entries/export", params={"format": "json"}, headers=BOB).json()
    assert entry["id"] not in [e["id"] for e in bob_export]
    assert client.get(f"/v1/entries/{entry['id']}", headers=ALICE).status_code == 200

    # Alice can delete it; then it is gone
    assert client.delete(f"/v1/entries/{entry['id']}", headers=ALICE).status_code == 204
    assert_error(client.get(f"/v1/entries/{entry['id']}", headers=ALICE), 404)


@pytest.fixture(scope="module")
def bob_entries(server):
    """Five entries of Bob's over two weeks (one of them 21:30 in UTC+1, i.e. 20:30 UTC the same day)."""
    stamps = ["2026-03-02T09:00:00Z", "2026-03-02T21:30:00+01:00", "2026-03-04T08:00:00Z",
              "2026-03-09T12:00:00Z", "2026-03-10T12:00:00Z"]
    with httpx.Client(base_url=server.url, timeout=60) as http:
        ids = [http.post("/v1/entries", json={"text": f"entry number {i}", "timestamp": ts}, headers=BOB)
               .json()["id"] for i, ts in enumerate(stamps)]
    return dict(zip(stamps, ids, strict=True))


def test_list_time_range_and_pagination(client, bob_entries):
    page = client.get("/v1/entries", params={"start": "2026-03-02T00:00:00Z", "end": "2026-03-05T00:00:00Z",
                                             "limit": 2}, headers=BOB).json()
    assert page["total"] == 3 and len(page["entries"]) == 2
    rest = client.get("/v1/entries", params={"start": "2026-03-02T00:00:00Z", "end": "2026-03-05T00:00:00Z",
                                             "limit": 2, "offset": 2}, headers=BOB).json()
    listed = [e["id"] for e in page["entries"] + rest["entries"]]
    assert sorted(listed) == sorted(list(bob_entries.values())[:3])
    timestamps = [e["timestamp"] for e in page["entries"] + rest["entries"]]
    assert timestamps == sorted(timestamps, reverse=True)  # newest first


def test_mood_summary_per_day_and_week(client, bob_entries):
    params = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T00:00:00Z"}
    days = client.get("/v1/mood/summary", params={**params, "period": "day"}, headers=BOB).json()
    assert [(b["start"][:10], b["entries"]) for b in days["buckets"]] == [
        ("2026-03-02", 2), ("2026-03-04", 1), ("2026-03-09", 1), ("2026-03-10", 1)]
    weeks = client.get("/v1/mood/summary", params={**params, "period": "week"}, headers=BOB).json()
    per_week = [(b["start"][:10], b["entries"]) for b in weeks["buckets"]]
    assert per_week == [("2026-03-02", 3), ("2026-03-09", 2)]
    for bucket in weeks["buckets"]:
        assert sum(bucket["emotions"].values()) == bucket["scored"] == bucket["entries"]
        assert sum(bucket["mean_scores"].values()) == pytest.approx(1.0, abs=1e-3)
        assert bucket["dominant"] in EMOTIONS


def test_export_csv_and_json(client, bob_entries):
    params = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T00:00:00Z"}
    response = client.get("/v1/entries/export", params={**params, "format": "csv"}, headers=BOB)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == list(bob_entries.values())  # oldest first
    assert all(r["emotion"] in EMOTIONS and r["model_version"] for r in rows)
    assert all(sum(float(r[label]) for label in EMOTIONS) == pytest.approx(1.0, abs=1e-3) for r in rows)
    exported = client.get("/v1/entries/export", params={**params, "format": "json"}, headers=BOB).json()
    assert [e["id"] for e in exported] == list(bob_entries.values())
    assert all(e["scores"] and e["prediction"]["model_version"] for e in exported)


def test_concurrent_requests_are_coalesced_and_metrics_show_it(server, client):
    def batch_stats() -> tuple[float, float]:
        text = client.get("/metrics").text
        values = dict(line.rsplit(" ", 1) for line in text.splitlines()
                      if line.startswith("emoai_batch_size_"))
        return float(values.get("emoai_batch_size_count", 0)), float(values.get("emoai_batch_size_sum", 0))

    calls_before, texts_before = batch_stats()

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60, headers=ALICE) as http:
            responses = await asyncio.gather(*[http.post("/v1/classify", json={"text": f"text {i}"})
                                               for i in range(16)])
        return [r.status_code for r in responses]

    assert asyncio.run(burst()) == [200] * 16
    calls_after, texts_after = batch_stats()
    assert texts_after - texts_before == 16
    assert calls_after - calls_before < 16  # some requests shared a model call

    metrics = client.get("/metrics").text
    assert 'emoai_http_requests_total{method="POST",route="/v1/classify",status="200"}' in metrics
    assert 'emoai_http_requests_total{method="POST",route="/v1/classify",status="422"}' in metrics
    latency = 'emoai_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/classify"}'
    assert latency in metrics
    assert "emoai_queue_depth 0.0" in metrics
    assert 'emoai_predictions_total{emotion="' in metrics
