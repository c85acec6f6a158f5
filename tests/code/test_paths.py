"""Project files are resolved in one place (llm/paths.py): beside the packages, or under EMOAI_HOME."""

import subprocess
import sys

from llm.paths import PROJECT_ROOT, project_file, project_path, shown_path


def test_a_checkout_finds_its_files_and_relative_paths_fall_back_to_the_root(tmp_path, monkeypatch):
    assert project_file("configs", "serving.yaml").is_file() and (PROJECT_ROOT / "llm" / "paths.py").is_file()
    monkeypatch.chdir(tmp_path)  # not found from here: read from the project
    assert project_path("configs/retrieval.yaml") == PROJECT_ROOT / "configs" / "retrieval.yaml"
    (tmp_path / "mine.yaml").write_text("x: 1\n")
    assert project_path("mine.yaml").resolve() == tmp_path / "mine.yaml"  # the working directory wins


def test_emoai_home_moves_every_project_file(tmp_path):
    code = ("from llm.datasets import JOURNAL_DIR; from serving.config import DEFAULT_CONFIG; "
            "from retrieval.settings import DEFAULT_CONFIG as R; print(JOURNAL_DIR, DEFAULT_CONFIG, R)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                         env={"EMOAI_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=True).stdout.split()
    assert out == [str(tmp_path / "data" / "journal"), str(tmp_path / "configs" / "serving.yaml"),
                   str(tmp_path / "configs" / "retrieval.yaml")]


def test_reports_show_project_files_relative_to_the_root(tmp_path):
    assert shown_path(PROJECT_ROOT / "data" / "crisis" / "manifest.yaml") == "data/crisis/manifest.yaml"
    assert shown_path(tmp_path / "elsewhere.jsonl") == str(tmp_path / "elsewhere.jsonl")
