"""The journaling UI in a real headless Debian chromium (Playwright), against the real server and model."""

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.serving_harness import PROJECT_ROOT, ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ENTRY = ("I finally finished my thesis today and my friends threw me a surprise party. "
         "I feel so happy and proud!")
CRISIS_ENTRY = "I can't do this anymore. I want to kill myself."


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory):
    """The default serving config (embedded model + shipped adapter), its own journal and Chroma index."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("ui")
    os.environ["EMOAI_CHROMA_PATH"] = str(tmp / "chroma")
    try:
        proc = ServerProcess({"store_url": f"sqlite:///{tmp}/journal.db", "model_overrides": {}}, tmp)
    finally:
        del os.environ["EMOAI_CHROMA_PATH"]
    try:
        proc.wait("/readyz", timeout_s=600)
        while proc.wait("/readyz")["checks"]["explanations"] == "loading":
            time.sleep(1)
        yield proc
    finally:
        proc.stop()


@pytest.fixture()
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000})
        try:
            yield context.new_page()
        finally:
            context.close()


def save_screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def write_entry(page, text: str) -> None:
    page.locator("#entry-text textarea").fill(text)
    page.locator("#submit-entry").click()


def test_write_an_entry_and_see_emotion_scores_and_activities(ui_server, page):
    ready = ui_server.wait("/readyz")
    assert ready["checks"]["explanations"] == "ready", ready
    page.goto(ui_server.url + "/ui/")
    write_entry(page, ENTRY)
    page.locator("#journal-chat").get_by_text("confidence").first.wait_for(timeout=300_000)
    chat = page.locator("#journal-chat").inner_text()
    assert any(f"{emotion.capitalize()} ·" in chat for emotion in
               ("sadness", "joy", "love", "anger", "fear", "surprise")), chat
    assert "Things you could try" in chat and "Source:" in chat, chat
    scores = page.locator("#scores").inner_text()
    assert "joy" in scores and "%" in scores  # the six bars with their percentages
    shot = save_screenshot(page, "ui-journal-entry.png")
    assert shot.stat().st_size > 10_000

    page.get_by_role("tab", name="History").click()
    page.get_by_text("Model version").first.wait_for(timeout=60_000)
    history = page.inner_text("body")
    assert "thesis" in history  # the entry is in the table
    save_screenshot(page, "ui-history.png")


def test_a_crisis_entry_shows_resources_instead_of_activities(ui_server, page):
    page.goto(ui_server.url + "/ui/")
    write_entry(page, CRISIS_ENTRY)
    chat = page.locator("#journal-chat")
    chat.get_by_text("You do not have to face it alone").first.wait_for(timeout=300_000)
    chat = page.locator("#journal-chat").inner_text()
    assert "Things you could try" not in chat
    save_screenshot(page, "ui-crisis-entry.png")


def test_explain_api_grounds_recommendations_in_the_knowledge_base(ui_server):
    """/v1/explain on the same server: a prediction, 2-3 activities, each with its source document."""
    body = httpx.post(ui_server.url + "/v1/explain", json={"text": ENTRY}, timeout=600).json()
    assert body["path"] in ("llm", "fallback") and not body["safety"]["crisis"]
    assert body["explanation"].strip()
    assert 2 <= len(body["recommendations"]) <= 3
    source_ids = {source["id"] for source in body["sources"]}
    assert all(r["id"] in source_ids and r["source"] for r in body["recommendations"])
    crisis = httpx.post(ui_server.url + "/v1/explain", json={"text": CRISIS_ENTRY}, timeout=600).json()
    assert crisis["path"] == "crisis" and crisis["safety"]["crisis"] and crisis["safety"]["resources"]
    assert crisis["recommendations"] == []
