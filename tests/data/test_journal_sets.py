"""The project's journal-style sets (data/journal): manifest, schema, balance and the leak guard."""

import re
from collections import Counter

import pytest

from finetune.config import DataSettings, MixPart
from finetune.mixing import training_mix
from llm.datasets import DatasetError, goemotions_dir, journal_sets, load_journal, load_named, load_split
from llm.labels import EMOTIONS

GUARD_WORDS = 6
NEAR_DUPLICATE = 0.4  # content-word Jaccard: the same little story retold ("Biopsy benign. Walked out and bought ...")
FUNCTION_WORDS = set("i me my we our you your he she it they them his her their a an the and or but so to of in on at "
                     "for with was is am are be been were this that just not no it's i'm im its as by from up out about "
                     "then there what when all had have has do did like".split())


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _runs(text: str, length: int = GUARD_WORDS) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return {" ".join(words[i:i + length]) for i in range(len(words) - length + 1)}


def test_the_manifest_names_a_train_a_blind_dev_and_a_blind_test_set_of_the_promised_sizes():
    sets = journal_sets()
    assert {name: s.role for name, s in sets.items()} == {"train": "train", "dev": "blind-dev", "test": "blind-test"}
    assert sets["train"].rows >= 1500 and sets["dev"].rows >= 300
    writers = [set(s.writers) for s in sets.values()]
    assert not (writers[0] & writers[1] or writers[0] & writers[2] or writers[1] & writers[2])


@pytest.mark.parametrize("name", ["train", "dev", "test"])
def test_every_set_loads_with_every_label_in_fair_balance(name):
    examples = load_journal(name)
    counts = Counter(e.label_text for e in examples)
    assert set(counts) == set(EMOTIONS)
    assert min(counts.values()) >= 0.7 * max(counts.values())
    assert len({_key(e.text) for e in examples}) == len(examples), "duplicate texts"


def test_no_training_row_shares_a_text_or_a_six_word_run_with_a_blind_row():
    train = load_journal("train")
    blind = load_journal("dev") + load_journal("test")
    blind_runs = set().union(*(_runs(e.text) for e in blind))
    assert not {_key(e.text) for e in train} & {_key(e.text) for e in blind}
    assert not [e.text for e in train if _runs(e.text) & blind_runs]


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z']+", text.lower()) if w not in FUNCTION_WORDS and len(w) > 2)


def test_no_training_row_retells_a_blind_row():
    blind = [_content_words(e.text) for e in load_journal("dev") + load_journal("test")]
    holding = {}
    for index, words in enumerate(blind):
        for word in words:
            holding.setdefault(word, []).append(index)
    retold = []
    for example in load_journal("train"):
        words = _content_words(example.text)
        candidates = {i for word in words for i in holding.get(word, ())}
        if any(len(words & blind[i]) / len(words | blind[i]) >= NEAR_DUPLICATE for i in candidates):
            retold.append(example.text)
    assert not retold


def test_the_blind_sets_share_no_text_with_dair_ai_or_goemotions(shared_data_dir, monkeypatch):
    monkeypatch.setenv("EMOAI_DATA_DIR", str(shared_data_dir))
    public = {_key(e.text) for split in ("train", "validation", "test") for e in load_split(split)}
    public |= {_key(e.text) for split in ("train", "validation") for e in load_named(f"goemotions6-{split}")}
    assert goemotions_dir() is not None
    for name in ("train", "dev", "test"):
        assert not {_key(e.text) for e in load_journal(name)} & public, name


def test_training_never_reads_a_blind_set_and_selection_never_reads_a_test_set():
    with pytest.raises(DatasetError, match="training never reads it"):
        training_mix(DataSettings(mix=[MixPart(dataset="journal", split="dev")]), seed=0)
    for test_split in ("journal-test", "dair-ai-test"):
        with pytest.raises(ValueError, match="is a test split"):
            DataSettings(validation=[test_split])


def test_a_manifest_that_miscounts_its_rows_is_refused(tmp_path, monkeypatch):
    (tmp_path / "manifest.yaml").write_text("sets:\n  train: {file: t.jsonl, role: train, rows: 3}\n")
    (tmp_path / "t.jsonl").write_text('{"text": "a fine day", "label_text": "joy"}\n')
    monkeypatch.setenv("EMOAI_JOURNAL_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="has 1 rows; the manifest says 3"):
        load_journal("train")
