"""`python -m finetune.plan`: the 7-8B recipes planned on the meta device from the shipped architecture configs."""

import pytest

from finetune.config import FinetuneConfig, load_recipe
from finetune.plan import main, plan_serving, plan_training
from llm.config import ModelConfig

# published parameter counts of the base models (model cards), without LoRA
PUBLISHED = {"qwen2.5-7b-lora-zero2": 7.62e9, "llama-3.1-8b-lora-zero3": 8.03e9,
             "mistral-7b-lora-zero3-offload": 7.25e9}


@pytest.mark.parametrize("recipe", PUBLISHED)
def test_every_gpu_recipe_plans_offline_with_the_published_size(recipe):
    config = load_recipe(FinetuneConfig, f"configs/finetune/{recipe}.yaml")
    one, eight = plan_training(config, 1, 80.0), plan_training(config, 8, 80.0)
    base = one.total_params - one.trainable_params
    assert abs(base - PUBLISHED[recipe]) / PUBLISHED[recipe] < 0.005
    assert 0 < one.trainable_params < 0.01 * one.total_params  # LoRA trains well under 1%
    assert eight.global_batch == 8 * one.global_batch == 8 * config.training.micro_batch_size * (
        config.training.gradient_accumulation_steps)
    if one.zero_stage == 3 and one.offload == "none":  # ZeRO-3 shards the frozen weights across GPUs
        assert eight.model_states_gib < one.model_states_gib / 4
    assert eight.fits and eight.total_gib == pytest.approx(eight.model_states_gib + eight.activations_gib, abs=0.02)


def test_the_serving_plan_splits_weights_and_cache_over_tensor_parallel_gpus():
    config = load_recipe(ModelConfig, "configs/models/qwen2.5-7b-lora-vllm.yaml")
    one, two = plan_serving(config, 80.0, [1, 2])
    assert 14 < one.weights_gib < 15 and two.weights_gib == pytest.approx(one.weights_gib / 2, abs=0.01)
    assert one.fits and not plan_serving(config, 16.0, [1])[0].fits  # 7B in bf16 does not fit a 16 GB card


def test_the_cli_prints_a_table_and_refuses_a_bad_recipe(capsys, tmp_path):
    assert main(["--config", "configs/finetune/smollm2-135m-lora.yaml", "--gpus", "2"]) == 0
    assert "| smollm2-135m-instruct |" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("lora: {r: -1}\n")
    assert main(["--config", str(bad)]) == 2
