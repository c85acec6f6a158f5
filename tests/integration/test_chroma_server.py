"""A real `chroma run` server on 127.0.0.1 and the embedded store: index + query through the library and the CLI."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from llm.paths import PROJECT_ROOT
from retrieval.documents import load_knowledge_base
from retrieval.settings import SHIPPED_KB, RetrievalSettings
from retrieval.store import KnowledgeStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMA = Path(sys.executable).with_name("chroma")
QUERY = "Driving test tomorrow and I can't sleep, my heart won't stop racing."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real Chroma server process on a free loopback port, stopped at the end."""
    port, data = free_port(), tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "wb")
    process = subprocess.Popen([str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"chroma server did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield port
    process.terminate()
    process.wait(timeout=30)
    log.close()


def run_cli(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "retrieval", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=900)


def test_index_and_query_against_a_real_server(chroma_server):
    settings = RetrievalSettings.model_validate({"chroma": {"mode": "server", "port": chroma_server}})
    documents = load_knowledge_base(SHIPPED_KB)
    store = KnowledgeStore(settings)
    report = store.index(documents)
    assert len(report.added) == len(documents)
    assert KnowledgeStore(settings).index(documents).unchanged == [doc.id for doc in documents]
    hits = store.search(QUERY, emotions=["fear"], k=3, mmr=False)
    assert {"exp-fear-anticipatory", "act-prepare-event", "act-paced-breathing"} & {hit.id for hit in hits}
    assert all(hit.document.emotion_tags and "fear" in hit.document.emotion_tags for hit in hits)


def test_cli_index_and_query_embedded_and_server(chroma_server, tmp_path):
    embedded = {"EMOAI_CHROMA_PATH": str(tmp_path / "embedded")}
    server = {"EMOAI_CHROMA_HOST": "127.0.0.1", "EMOAI_CHROMA_PORT": str(chroma_server)}
    for env in (embedded, server):
        indexed = run_cli("index", env=env, cwd=tmp_path)
        assert indexed.returncode == 0, indexed.stderr[-2000:]
        assert "documents into 'emoai-kb'" in indexed.stdout
        found = run_cli("query", QUERY, "--emotion", "fear", "-k", "3", env=env, cwd=tmp_path)
        assert found.returncode == 0, found.stderr[-2000:]
        lines = found.stdout.strip().splitlines()
        assert len(lines) == 3 and all("score=" in line for line in lines)
    rebuilt = run_cli("index", "--rebuild", env=embedded, cwd=tmp_path)
    assert rebuilt.returncode == 0 and "added" in rebuilt.stdout


def test_cli_errors_are_one_line(tmp_path):
    bad = run_cli("query", "hello", "--emotion", "rage", env={"EMOAI_CHROMA_PATH": str(tmp_path / "e")},
                  cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: ")
    down = run_cli("index", env={"EMOAI_CHROMA_HOST": "127.0.0.1", "EMOAI_CHROMA_PORT": "9"}, cwd=tmp_path)
    assert down.returncode == 2 and "cannot reach the Chroma server" in down.stderr
