"""Continue training from a saved LoRA adapter (``lora.init_from``), for the LLM and the encoder trainers alike."""

from pathlib import Path

from torch import nn

from finetune.config import LoraSettings


def attach_saved_adapter(model: nn.Module, path: Path, lora: LoraSettings) -> nn.Module:
    """``model`` with the adapter at ``path`` attached and trainable (its saved head too); its shape must be the recipe's."""
    from peft import PeftConfig, PeftModel

    saved = PeftConfig.from_pretrained(str(path))
    wanted = (lora.r, lora.alpha, sorted(lora.target_modules))
    found = (saved.r, saved.lora_alpha, sorted(saved.target_modules))
    if wanted != found:
        raise SystemExit(f"lora.init_from {path} has r={found[0]}, alpha={found[1]}, modules {found[2]}; the recipe "
                         f"says r={wanted[0]}, alpha={wanted[1]}, modules {wanted[2]}: make them agree")
    peft_model = PeftModel.from_pretrained(model, str(path), is_trainable=True)
    for parameter in peft_model.parameters():  # adapters may be stored in bf16; train in the model's dtype
        if parameter.requires_grad:
            parameter.data = parameter.data.to(next(model.parameters()).dtype)
    return peft_model
