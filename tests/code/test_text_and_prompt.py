"""Normalisation and prompt building: the same tokens at training and at serving time."""

import pytest
from transformers import AutoTokenizer

from finetune.batching import encode_examples
from llm.datasets import Example
from llm.labels import EMOTIONS, label_id
from llm.prompt import TEXT_STYLE_FILE, PromptBuilder, read_text_style, write_text_style
from llm.text import dair_text, prepare_text


@pytest.mark.parametrize("raw, expected", [
    ("I don't know… I'm SO tired!!\n\n", "i dont know im so tired"),
    ("i don t feel i m ok you re right", "i dont feel im ok youre right"),
    ("I’ll be there at 5pm", "ill be there at pm"),
    ("Feeling 😢 today", "feeling sad today"),
    ("  many   spaces\tand\ttabs ", "many spaces and tabs"),
    ("i didnt feel humiliated", "i didnt feel humiliated"),
])
def test_normalize_text_maps_journal_text_to_the_dataset_form(raw, expected):
    assert dair_text(raw) == expected


def test_normalisation_is_idempotent_on_dataset_text():
    dataset_text = "i can go from feeling so hopeless to so damned hopeful just from being around someone"
    assert dair_text(dataset_text) == dataset_text
    assert dair_text(dair_text("Don't STOP me now!!")) == dair_text("Don't STOP me now!!")


def test_label_ids_follow_dair_ai_order():
    assert EMOTIONS == ("sadness", "joy", "love", "anger", "fear", "surprise")
    assert label_id(" Surprise ") == 5
    with pytest.raises(ValueError, match="unknown emotion 'happy'"):
        label_id("happy")


def test_training_and_serving_build_identical_prompt_tokens(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    builder = PromptBuilder(tokenizer)
    journal = "I feel SO happy with my day!!"
    dataset_row = Example(text="i feel so happy with my day", label=1)
    trained = encode_examples(builder, [dataset_row])[0]
    served = builder.encode(journal)
    assert trained.prompt_ids == served.prompt_ids
    assert trained.answer_ids == builder.label_ids[1]
    assert served.answer_ids == []


def test_split_template_tokenises_like_the_whole_rendered_prompt(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    builder = PromptBuilder(tokenizer)
    whole = tokenizer(builder.render("i feel so alone"), add_special_tokens=False)["input_ids"]
    assert builder.encode("i feel so alone").prompt_ids == whole


def test_long_texts_are_truncated_to_the_token_budget(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    builder = PromptBuilder(tokenizer, max_text_tokens=8)
    ids = builder.encode("i feel " * 100).prompt_ids
    assert len(ids) == len(builder.prefix_ids) + 8 + len(builder.suffix_ids)


@pytest.mark.parametrize("raw, expected", [
    ("I don’t know… I'm SO tired!!\n\n", "I don't know... I'm SO tired!!"),
    ("  many   spaces\tand\nlines 😢 ", "many spaces and lines 😢"),
])
def test_natural_text_keeps_case_punctuation_and_emoji(raw, expected):
    assert prepare_text(raw, "natural") == expected
    assert prepare_text(raw, "dair") == dair_text(raw)


def test_the_prompt_builder_prepares_text_in_its_style(tiny_subword_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_subword_model_dir)
    natural, dair = PromptBuilder(tokenizer, text_style="natural"), PromptBuilder(tokenizer)
    text = "Furious!! He LIED again."
    assert natural.encode(text).prompt_ids == natural.prefix_ids + natural._ids(text) + natural.suffix_ids
    assert dair.encode(text).prompt_ids == dair.prefix_ids + dair._ids("furious he lied again") + dair.suffix_ids


def test_a_saved_model_records_its_text_style_and_older_ones_read_as_dair(tmp_path):
    assert read_text_style(None) == "dair" and read_text_style(tmp_path) == "dair"
    write_text_style(tmp_path, "natural")
    assert read_text_style(tmp_path) == "natural"
    (tmp_path / TEXT_STYLE_FILE).write_text('{"text_style": "shouty"}')
    with pytest.raises(ValueError, match="unknown text_style 'shouty'"):
        read_text_style(tmp_path)
