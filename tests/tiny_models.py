"""Tiny random-weight models and tokenizers built from configs: no download, milliseconds to build."""

import atexit
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from llm.labels import EMOTIONS
from llm.prompt import SYSTEM_PROMPT, PromptBuilder
from llm.scoring import LabelScorer

FIXTURE_ROWS = Path(__file__).parent / "fixtures" / "emotion_rows.jsonl"  # hand-written rows with a "split"
SPECIALS = ["<|pad|>", "<unk>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@cache
def fixture_data_path() -> Path:
    """The fixture rows laid out as a dataset directory (train/validation/test.jsonl), once per process."""
    directory = Path(tempfile.mkdtemp(prefix="emoai-fixture-data-"))
    atexit.register(shutil.rmtree, directory, True)
    rows = [json.loads(line) for line in FIXTURE_ROWS.open()]
    for split in ("train", "validation", "test"):
        with (directory / f"{split}.jsonl").open("w") as handle:
            for row in rows:
                if row["split"] == split:
                    handle.write(json.dumps({k: v for k, v in row.items() if k != "split"}) + "\n")
    return directory


def _corpus() -> list[str]:
    texts = [json.loads(line)["text"] for line in FIXTURE_ROWS.open()]
    return [*texts, SYSTEM_PROMPT, "system user assistant", *EMOTIONS]


def _wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<|pad|>", unk_token="<unk>",
                                      eos_token="<|im_end|>", bos_token="<|im_start|>")
    wrapped.chat_template = CHATML
    return wrapped


def word_tokenizer() -> PreTrainedTokenizerFast:
    """One token per word: every label is a single token (the fast scoring path)."""
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for text in _corpus():
        for word in pre_tokenizers.Whitespace().pre_tokenize_str(text):
            vocab.setdefault(word[0], len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.add_special_tokens(SPECIALS)
    return _wrap(tokenizer)


def subword_tokenizer(vocab_size: int = 90) -> PreTrainedTokenizerFast:
    """A small BPE: labels split into several tokens, some sharing their first token (the trie path)."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tokenizer.train_from_iterator(_corpus(), trainer=trainer)
    return _wrap(tokenizer)


def tiny_llama_dir(directory: Path, tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> Path:
    """Save a 2-layer random Llama with the given tokenizer to a directory usable as a model source."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id)
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def load_tiny_scorer(model_dir: Path) -> tuple[LlamaForCausalLM, PromptBuilder, LabelScorer]:
    """A saved tiny Llama in float32 eval mode, its prompt builder and its label scorer."""
    import torch

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    builder = PromptBuilder(tokenizer)
    return model, builder, LabelScorer(builder.label_ids, tokenizer.pad_token_id)


def tiny_bert_dir(directory: Path, texts: list[str], seed: int = 0) -> Path:
    """Save a 2-layer random BERT encoder with a word-level tokenizer over ``texts``."""
    import torch
    from transformers import BertConfig, BertModel

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]"])}
    for text in texts:
        for word, _span in pre_tokenizers.Whitespace().pre_tokenize_str(text.lower()):
            vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]",
                                      cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=4, max_position_embeddings=256)
    BertModel(config).save_pretrained(directory)
    wrapped.save_pretrained(directory)
    return directory
