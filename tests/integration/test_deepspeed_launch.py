"""The multi-process ZeRO path, through the same launcher and entry point a GPU user runs.

`deepspeed --num_gpus 2 --module finetune ...` starts 2 CPU processes talking over gloo.
"""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training_helpers import assert_adapter_is_real, tiny_recipe

DEEPSPEED = Path(sys.executable).parent / "deepspeed"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
@pytest.mark.parametrize("zero_config", ["deepspeed/zero2.json", "deepspeed/zero3.json"])
def test_two_process_zero_training_learns_and_saves_a_real_adapter(zero_config, tiny_model_dir, fixture_data_dir,
                                                                   tmp_path):
    output = tmp_path / "run"
    command = [str(DEEPSPEED), "--num_gpus", "2", "--master_port", str(_free_port()), "--module", "finetune",
               *tiny_recipe(tiny_model_dir, output, max_steps=8, micro_batch_size=4, save_every_steps=4),
               f"deepspeed={zero_config}", "tracking.enabled=false"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "2 process(es)" in log
    assert re.search(r"training \S+: [1-9]\d* trainable params", log)  # ZeRO-3's partitioned params counted in full
    summary = json.loads((output / "train_summary.json").read_text())
    assert summary["step"] == 8
    assert (output / "checkpoints" / "step-0000004" / "trainer_state.json").is_file()
    assert_adapter_is_real(output / "best", tiny_model_dir)
    assert_adapter_is_real(output / "last", tiny_model_dir)
