"""`emoai classify` end to end on the real embedded model: JSON out, one-line errors in."""

import json
import os
import subprocess
import sys

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

EMOAI = [sys.executable, "-m", "llm"]


def _run(*args, timeout=600, env=None):
    return subprocess.run([*EMOAI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_classify_prints_one_json_object_per_text_with_six_scores(tmp_path):
    # a fresh cache: the first run converts the embedded GGUF, and stdout must still hold only JSON lines
    result = _run("classify", "i feel so alone tonight", "What a lovely surprise!",
                  env={"EMOAI_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["i feel so alone tonight", "What a lovely surprise!"]
    for row in rows:
        assert len(row["scores"]) == 6 and abs(sum(row["scores"].values()) - 1) < 1e-4
        assert row["emotion"] == max(row["scores"], key=row["scores"].get)
        assert row["model"].startswith("smollm2-135m-instruct+")


@pytest.mark.slow
def test_classify_reads_csv_and_writes_jsonl(tmp_path):
    source = tmp_path / "entries.csv"
    source.write_text('id,text\n1,"I miss her, so much."\n2,"Best day ever!!"\n')
    result = _run("classify", "--input", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2


def _tiny_adapter(tiny_model_dir, path):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(path)
    return path


@pytest.mark.parametrize("args, message", [
    (["classify"], "give texts as arguments or --input FILE"),
    (["classify", "   "], "text 1 is empty"),
    (["classify", "hi", "--input", "/no/such/file.jsonl"], "input file not found"),
    (["classify", "hi", "--base-model", "no-such-model", "--adapter", "none"], "unknown model 'no-such-model'"),
    (["classify", "hi", "--adapter", "/no/such/adapter"], "adapter directory not found"),
    (["classify", "hi", "--backend", "onnx"], "backend"),
])
def test_bad_input_gives_a_one_line_error_and_non_zero_exit(args, message):
    result = _run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_an_adapter_trained_for_another_base_model_is_rejected_clearly(tiny_model_dir, tmp_path):
    adapter = _tiny_adapter(tiny_model_dir, tmp_path / "tiny-adapter")
    result = _run("classify", "hi", "--adapter", str(adapter))
    assert result.returncode != 0
    assert "does not match base model 'smollm2-135m-instruct'" in result.stderr
    assert "Traceback" not in result.stderr
