"""The prompt format, shared by training and serving.

A prompt is the model's chat template around a short instruction and the normalised
text; the answer is the label followed by the end-of-turn token. The template is split
once into a fixed prefix and suffix around the text, so every prompt is
``prefix_ids + text_ids + suffix_ids``: cheap to build and with a shared prefix.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from llm.labels import EMOTIONS
from llm.text import TEXT_STYLES, TextStyle, prepare_text

SYSTEM_PROMPT = "Name the emotion: sadness, joy, love, anger, fear or surprise."
_PLACEHOLDER = "\u2063TEXT\u2063"
TEXT_STYLE_FILE = "emoai_text.json"


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of one prompt and, when a label is given, of its answer."""

    prompt_ids: list[int]
    answer_ids: list[int]


class PromptBuilder:
    """Builds prompts and label answers with a tokenizer's chat template."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, system_prompt: str = SYSTEM_PROMPT,
                 max_text_tokens: int = 128, text_style: TextStyle = "dair") -> None:
        if tokenizer.chat_template is None:
            raise ValueError("the tokenizer has no chat template; use an instruct/chat model")
        self.tokenizer = tokenizer
        self.max_text_tokens = max_text_tokens
        self.text_style = text_style
        self.end_of_turn_id = _end_of_turn_id(tokenizer)
        rendered = self.render(_PLACEHOLDER, system_prompt)
        prefix, suffix = rendered.split(_PLACEHOLDER)
        self.prefix_ids = self._ids(prefix)
        self.suffix_ids = self._ids(suffix)
        self.label_ids = [[*self._ids(label), self.end_of_turn_id] for label in EMOTIONS]

    def render(self, text: str, system_prompt: str = SYSTEM_PROMPT) -> str:
        """The full prompt string for an already normalised text (for inspection and vLLM)."""
        messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": text}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def encode(self, text: str, label: int | None = None) -> EncodedExample:
        """Token ids for a raw text (prepared here in the builder's text style) and optionally its label id."""
        text_ids = self._ids(prepare_text(text, self.text_style))[: self.max_text_tokens]
        answer = self.label_ids[label] if label is not None else []
        return EncodedExample(self.prefix_ids + text_ids + self.suffix_ids, answer)

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]


def _end_of_turn_id(tokenizer: PreTrainedTokenizerBase) -> int:
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
            return token_id
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has neither an end-of-turn nor an eos token")
    return tokenizer.eos_token_id


def write_text_style(model_dir: Path, style: TextStyle) -> None:
    """Record in a saved adapter or encoder directory the text style it was trained with."""
    (Path(model_dir) / TEXT_STYLE_FILE).write_text(json.dumps({"text_style": style}) + "\n")


def read_text_style(model_dir: Path | None) -> TextStyle:
    """The text style a saved adapter or encoder was trained with; ``dair`` when it records none
    (everything saved before styles existed) or when there is no adapter (the base model)."""
    file = Path(model_dir) / TEXT_STYLE_FILE if model_dir is not None else None
    if file is None or not file.is_file():
        return "dair"
    style = json.loads(file.read_text()).get("text_style")
    if style not in TEXT_STYLES:
        raise ValueError(f"{file}: unknown text_style {style!r}; expected one of {', '.join(TEXT_STYLES)}")
    return style
