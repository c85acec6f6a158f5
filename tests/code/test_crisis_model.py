"""The learned crisis model: training with cross-validated threshold, saving, loading, sentence-level scoring."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from finetune.config import ConfigError, load_recipe
from finetune.crisis.config import CrisisConfig
from finetune.crisis.report import PLOT_FILE, SCORES_FILE, precision_recall_curve
from finetune.crisis.train import (
    best_screen,
    choose_threshold,
    length_grouped_batches,
    load_rows,
    operating_points,
    screen_name,
    train_crisis_model,
)
from llm.safety import describe_screen, screen, screen_many
from llm.safety.model import (
    METADATA_FILE,
    RULES_MODES,
    SCORING_MODES,
    CrisisModel,
    CrisisModelError,
    load_classifier_base,
    scoring_units,
)
from llm.safety.panel import PANEL_FILE, CrisisPanel, load_crisis_screen
from llm.text import split_sentences
from tests.tiny_models import fixture_data_path, tiny_bert_dir, tiny_llama_dir, word_tokenizer


def write_manifest(folder: Path, sets: dict[str, dict]) -> Path:
    """A crisis-set manifest in ``folder`` (each set: file, split, content, role, rows; the writer is filled in)."""
    manifest = folder / "manifest.yaml"
    entries = {name: {"writer": "a test", "content": "risk", **entry} for name, entry in sets.items()}
    manifest.write_text(json.dumps({"sets": entries}))  # JSON is YAML
    return manifest


RISK = ["i want to die tonight", "i will hurt myself again", "i want to die so much", "nobody will miss me",
        "i will end my life", "i want to die now", "i am going to hurt myself", "nobody would care if i die"]
SAFE = ["i love my cat", "lunch with my sister was lovely", "the garden looks great", "my cat is so funny",
        "a lovely walk in the garden", "my sister made lunch", "the cat sleeps in the garden", "great lunch today"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny BERT crisis model trained on an easy, separable set (2 folds, a few epochs)."""
    root = tmp_path_factory.mktemp("crisis")
    data = root / "rows.jsonl"
    rows = [{"text": t, "crisis": True, "split": "dev"} for t in RISK]
    rows += [{"text": t, "crisis": False, "split": "dev"} for t in SAFE]
    rows.append({"text": "a blind row that must stay out", "crisis": True, "split": "heldout3"})
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    manifest = write_manifest(root, {"dev": {"file": "rows.jsonl", "split": "dev", "role": "train", "rows": 16},
                                     "heldout3": {"file": "rows.jsonl", "split": "heldout3", "role": "blind-dev",
                                                  "rows": 1}})
    encoder = tiny_bert_dir(root / "tiny-bert", RISK + SAFE)
    config = load_recipe(CrisisConfig, None, [  # data.sets left out: every train or spent set, here `dev`
        f"encoder={encoder}", f"output_dir={root / 'model'}", f"data.manifest={manifest}",
        "data.ordinary_negatives=4", "training.epochs=12", "training.learning_rate=5e-3", "training.batch_size=4",
        "training.folds=2", "training.target_recall=1.0", "training.max_length=16", "lora.r=4", "lora.alpha=8",
        "tracking.enabled=false"])
    with pytest.MonkeyPatch.context() as patch:  # the ordinary texts come from the fixture dataset
        patch.setenv("EMOAI_DATA_DIR", str(fixture_data_path()))
        return config, train_crisis_model(config)


def test_training_writes_a_loadable_model_with_its_threshold(trained):
    config, metadata = trained
    # 16 rows of the file (the blind row stays out) and 4 ordinary texts from the emotion dataset
    assert metadata["data"] == {"manifest": config.data.manifest, "sets": ["dev"], "n": 20, "risk": 8,
                                "ordinary": 4}
    assert 0.0 < metadata["threshold"] <= 1.0
    assert metadata["cross_validation"]["recall"] == 1.0  # the threshold reaches the target out of fold
    by_screen = metadata["cross_validation_by_screen"]  # every scoring mode with every rules mode is measured
    assert set(by_screen) == {screen_name(s, r) for s in SCORING_MODES for r in RULES_MODES}
    chosen = by_screen[screen_name(metadata["scoring"], metadata["rules"])]  # `auto`: the best out of fold
    assert chosen["threshold"] == metadata["threshold"] and chosen["precision"] == max(
        point["precision"] for point in by_screen.values())
    assert 0.0 <= metadata["cross_validation"]["ordinary_flag_rate"] <= 1.0
    model = CrisisModel.load(config.output_dir)
    assert model.threshold == metadata["threshold"] and model.version == metadata["version"]
    assert (model.scoring, model.rules) == (metadata["scoring"], metadata["rules"])
    risk, safe = model.risk(RISK), model.risk(SAFE)
    assert min(risk) > max(safe), (risk, safe)  # the final model separates its training set


def test_in_sentences_mode_a_risk_sentence_counts_whatever_surrounds_it(trained):
    config, _metadata = trained
    model = CrisisModel.load(config.output_dir)
    model.scoring = "sentences"
    alone = model.risk(["i want to die tonight."])[0]
    embedded = model.risk(["my cat is so funny. i want to die tonight. lunch with my sister was lovely."])[0]
    assert embedded >= alone - 1e-6  # the highest sentence score is kept: context and denials cannot lower it


def test_a_long_entry_is_read_in_windows_to_its_end(trained):
    config, _metadata = trained
    model = CrisisModel.load(config.output_dir)
    model.scoring = "windows"
    entry = " ".join(SAFE * 3) + " i want to die tonight"  # far past max_length (16 tokens)
    windows = model.tokenizer(entry, truncation=True, max_length=model.max_length, stride=model.max_length // 4,
                              return_overflowing_tokens=True)["input_ids"]
    window_texts = [model.tokenizer.decode(ids, skip_special_tokens=True) for ids in windows]
    window_scores = model.unit_probabilities(window_texts)
    assert len(windows) > 3 and window_texts[-1].endswith("i want to die tonight")  # read to its end
    assert model.risk([entry])[0] == pytest.approx(max(window_scores), abs=1e-5)  # the highest window counts
    with pytest.raises(CrisisModelError, match="unknown scoring 'words'"):
        CrisisModel(model.model, model.tokenizer, 0.5, scoring="words")


def test_the_screen_flags_what_the_model_flags(trained):
    config, _metadata = trained
    result = screen("nobody will miss me", model=config.output_dir)
    assert result.crisis and result.matched == ["classifier"] and result.risk_score >= CrisisModel.load(
        config.output_dir).threshold
    assert screen("nobody will miss me", model=None).risk_score is None  # rules only


def test_a_fallback_model_decides_alone_and_the_rules_screen_without_it(trained, tmp_path):
    config, _metadata = trained
    fallback = tmp_path / "fallback"
    shutil.copytree(config.output_dir, fallback)
    metadata = json.loads((fallback / METADATA_FILE).read_text())
    metadata.update(rules="fallback", threshold=1.0)  # a model that flags nothing
    (fallback / METADATA_FILE).write_text(json.dumps(metadata))
    text = "I want to kill myself."
    assert screen(text).matched == ["kill_myself"]  # the rules flag it on their own
    alone = screen(text, model=str(fallback))
    assert not alone.crisis and alone.matched == [] and alone.risk_score is not None
    beside = tmp_path / "beside"
    shutil.copytree(fallback, beside)
    (beside / METADATA_FILE).write_text(json.dumps({**metadata, "rules": "beside"}))
    assert screen(text, model=str(beside)).matched == ["kill_myself"]
    with pytest.raises(CrisisModelError, match="unknown rules mode 'sometimes'"):
        CrisisModel(torch.nn.Identity(), None, 0.5, rules="sometimes")


def _variant(source: str, folder: Path, **changes) -> Path:
    """A copy of the trained model with some metadata changed (threshold, rules mode)."""
    shutil.copytree(source, folder)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    (folder / METADATA_FILE).write_text(json.dumps({**metadata, **changes}))
    return folder


def _panel_members(trained, tmp_path: Path) -> None:
    """Copies of the trained model: "always" flags everything (threshold 0), "never" nothing (threshold > 1)."""
    config, _metadata = trained
    for name, threshold in (("always", 0.0), ("never", 1.01), ("trained", None)):
        _variant(config.output_dir, tmp_path / name, rules="fallback",
                 **({} if threshold is None else {"threshold": threshold}))


def _panel(folder: Path, *members: str, **spec) -> str:
    folder.mkdir()
    (folder / PANEL_FILE).write_text(json.dumps({"members": [f"../{member}" for member in members], **spec}))
    return str(folder)


def test_a_panel_flags_only_what_every_member_flags(trained, tmp_path):
    text = "nobody will miss me"
    _panel_members(trained, tmp_path)
    alone = screen(text, model=str(tmp_path / "trained"))
    assert alone.crisis  # the trained model flags the text on its own
    agreed = screen(text, model=_panel(tmp_path / "agree", "always", "trained"))
    assert agreed.crisis and agreed.matched == ["classifier"] and agreed.risk_score == pytest.approx(alone.risk_score)
    vetoed = screen(text, model=_panel(tmp_path / "veto", "trained", "never"))
    assert not vetoed.crisis and vetoed.matched == [] and vetoed.resources == []  # one member says no: no flag
    panel = load_crisis_screen(str(tmp_path / "veto"))
    assert isinstance(panel, CrisisPanel) and panel.version == "+".join(m.version for m in panel.members)
    assert describe_screen(str(tmp_path / "veto")).startswith(f"panel {tmp_path / 'veto'} of 2 models")


def test_a_broken_panel_is_refused_with_a_reason(trained, tmp_path):
    config, _metadata = trained
    _variant(config.output_dir, tmp_path / "beside", rules="beside")
    _variant(config.output_dir, tmp_path / "fallback", rules="fallback")
    with pytest.raises(CrisisModelError, match="combine with the rules differently"):
        CrisisPanel.load(_panel(tmp_path / "mixed", "beside", "fallback"))
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / PANEL_FILE).write_text(json.dumps({"members": ["../beside"]}))
    with pytest.raises(CrisisModelError, match="at least 2"):
        CrisisPanel.load(tmp_path / "one")
    with pytest.raises(CrisisModelError, match="combine"):  # `all` is the one mode (llm/safety/panel.py)
        CrisisPanel.load(_panel(tmp_path / "vote", "fallback", "fallback", combine="vote"))
    with pytest.raises(CrisisModelError, match="neither a crisis model"):
        load_crisis_screen(str(tmp_path))


def test_a_decoder_llm_scores_the_last_real_token_whatever_the_padding(tmp_path):
    tokenizer = word_tokenizer()
    tokenizer.pad_token = None  # like many decoder LLMs: padding falls back to end-of-sequence
    base, loaded_tokenizer = load_classifier_base(str(tiny_llama_dir(tmp_path / "llama", tokenizer)))
    assert loaded_tokenizer.pad_token == loaded_tokenizer.eos_token
    assert base.config.pad_token_id == loaded_tokenizer.pad_token_id
    model = CrisisModel(base, loaded_tokenizer, threshold=0.5, max_length=32, scoring="windows")
    short, long = "i love my cat", "lunch with my sister was lovely and the garden looks great"
    assert model.risk([short])[0] == pytest.approx(model.risk([short, long])[0], abs=1e-5)  # padded in a batch


def test_sentences_and_scoring_units():
    assert split_sentences("One. Two!\nThree") == ["One.", "Two!", "Three"]
    assert scoring_units("Just one") == ["Just one"]
    assert scoring_units("A. B.") == ["A. B.", "A.", "B."]
    assert scoring_units("A. B.", "windows") == ["A. B."]


def test_threshold_is_the_highest_reaching_the_target_recall():
    scores, labels = [0.9, 0.8, 0.3, 0.6, 0.2], [True, True, True, False, False]
    assert choose_threshold(scores, labels, 1.0) == 0.3
    assert choose_threshold(scores, labels, 0.6) == 0.8
    caught = [False, False, True, False, False]  # the rules already flag the weakest positive
    assert choose_threshold(scores, labels, 1.0, caught) == 0.8
    assert choose_threshold(scores, labels, 0.3, [True, False, False, False, False]) == 1.0  # rules suffice


def test_operating_points_count_the_rules_only_beside_the_model():
    scores, labels = {"windows": [0.9, 0.8, 0.3, 0.6, 0.2]}, [True, True, True, False, False]
    caught = [False, False, True, False, True]  # the rules find the weakest positive and flag one negative
    points = operating_points(scores, labels, [False] * 5, caught, 1.0)
    beside, alone = points["windows, rules beside"], points["windows, rules fallback"]
    assert (beside["threshold"], beside["recall"], beside["precision"]) == (0.8, 1.0, 0.75)
    assert (alone["threshold"], alone["recall"], alone["precision"]) == (0.3, 1.0, 0.75)


def test_auto_keeps_the_most_precise_screen_the_recipe_allows():
    points = {"sentences, rules beside": {"scoring": "sentences", "rules": "beside", "precision": 0.6,
                                         "ordinary_flag_rate": 0.0},
              "windows, rules beside": {"scoring": "windows", "rules": "beside", "precision": 0.7,
                                       "ordinary_flag_rate": 0.02},
              "windows, rules fallback": {"scoring": "windows", "rules": "fallback", "precision": 0.8,
                                         "ordinary_flag_rate": 0.02}}
    assert best_screen(points) == "windows, rules fallback"
    assert best_screen(points, rules="beside") == "windows, rules beside"
    assert best_screen(points, scoring="sentences") == "sentences, rules beside"
    points["sentences, rules beside"]["precision"] = 0.8
    assert best_screen(points) == "sentences, rules beside"  # a tie goes to the one flagging fewer everyday texts


def test_length_grouped_batches_cover_every_row_once():
    lengths = [5, 50, 7, 40, 9, 30, 11, 20, 13, 3]
    batches = length_grouped_batches(lengths, 3, torch.Generator().manual_seed(0))
    assert sorted(i for batch in batches for i in batch) == list(range(10))
    assert all(1 <= len(batch) <= 3 for batch in batches)


def test_training_rows_that_overlap_a_held_out_row_are_dropped(tmp_path):
    data = tmp_path / "rows.jsonl"
    rows = [{"text": "I keep thinking everyone would be better off without me here", "crisis": True},
            {"text": "My team would be better off without my bad jokes", "crisis": False},
            {"text": "A sunny walk by the river with my dog", "crisis": False},
            {"text": "I started cutting again tonight", "crisis": True},
            {"text": "Honestly everyone would be better off without me around", "crisis": True, "split": "blind"},
            {"text": "The walk by the river was cold today", "crisis": False, "split": "dev"}]
    rows = [{"split": "train", **row} for row in rows]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    (tmp_path / "everyday.jsonl").write_text(json.dumps({"text": "Today: a sunny walk by the river with my dog and "
                                                                 "a nap", "emotion": "joy"}))
    sets = {"train": {"file": "rows.jsonl", "split": "train", "role": "train", "rows": 4},
            "blind": {"file": "rows.jsonl", "split": "blind", "role": "blind-dev", "rows": 1},
            "dev": {"file": "rows.jsonl", "split": "dev", "role": "train", "rows": 1}}
    config = load_recipe(CrisisConfig, None, [f"data.manifest={write_manifest(tmp_path, sets)}",
                                              "data.ordinary_negatives=0"])
    kept = [row["text"] for row in load_rows(config.data)]
    assert kept == [rows[i]["text"] for i in (1, 2, 3, 5)]  # row 0 shares 6 words with the blind row
    sets["everyday"] = {"file": "everyday.jsonl", "content": "ordinary", "role": "blind-dev", "rows": 1}
    write_manifest(tmp_path, sets)
    kept = [row["text"] for row in load_rows(config.data)]
    assert kept == [rows[i]["text"] for i in (1, 3, 5)]  # row 2 shares 6 words with an ordinary evaluation text
    config.data.overlap_words = 0
    assert len(load_rows(config.data)) == 5
    with pytest.raises(ValueError, match="'blind' is a blind-dev set of risk entries: training never reads it"):
        load_rows(config.data.model_copy(update={"sets": ["train", "blind"]}))
    with pytest.raises(ValueError, match="'nowhere' is not in"):
        load_rows(config.data.model_copy(update={"sets": ["nowhere"]}))
    sets["train"]["rows"] = 5
    write_manifest(tmp_path, sets)
    with pytest.raises(ValueError, match="split train has 4 rows; the manifest says 5"):
        load_rows(config.data)


def test_bad_rows_and_recipes_give_clear_errors(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"text": "hi", "crisis": "yes"}\n')
    manifest = write_manifest(tmp_path, {"rows": {"file": "rows.jsonl", "role": "train", "rows": 1}})
    config = load_recipe(CrisisConfig, None, [f"data.manifest={manifest}", "data.ordinary_negatives=0"])
    with pytest.raises(ValueError, match=r"rows\.jsonl: row 1: needs a string 'text' and a boolean 'crisis'"):
        load_rows(config.data)
    with pytest.raises(ConfigError, match="trainig"):
        load_recipe(CrisisConfig, None, ["trainig.epochs=3"])
    with pytest.raises(CrisisModelError, match=r"python -m finetune\.crisis"):
        CrisisModel.load(tmp_path)


def test_cross_validation_report_is_written(trained):
    config, metadata = trained
    rows = [json.loads(line) for line in (Path(config.output_dir) / SCORES_FILE).read_text().splitlines()]
    assert len(rows) == metadata["data"]["n"]
    assert all(set(row["scores"]) == set(SCORING_MODES) and min(row["scores"].values()) >= 0.0 for row in rows)
    assert (Path(config.output_dir) / PLOT_FILE).stat().st_size > 1000
    curve = precision_recall_curve([0.9, 0.8, 0.3, 0.6], [True, True, True, False])
    assert curve == [(0.9, 1 / 3, 1.0), (0.8, 2 / 3, 1.0), (0.6, 2 / 3, 2 / 3), (0.3, 1.0, 0.75)]


def test_wordless_text_skips_the_models_and_long_entries_stop_at_the_first_member(trained, tmp_path, monkeypatch):
    _panel_members(trained, tmp_path)
    always = str(tmp_path / "always")
    assert screen("i walked home", model=always).crisis  # the "always" model flags any text with words...
    for wordless in ("0" * 4000, "!?" * 100, "aaaaaaaa", "\U0001f62d\U0001f62d"):
        result = screen(wordless, model=always)  # ...but never reads text without words
        assert not result.crisis and result.risk_score is None
    # "all": an entry longer than the budget keeps the first member's verdict; the later member never reads it
    monkeypatch.setattr("llm.safety.panel.LATER_MEMBER_TOKENS", 5)
    panel = _panel(tmp_path / "all", "always", "never")
    assert not screen("i walked home", model=panel).crisis  # short: both read it, "never" decides
    assert screen("i walked home with my sister after lunch", model=panel).crisis  # long: "always" decides


def test_screening_many_texts_at_once_gives_each_text_its_own_verdict(trained, tmp_path, monkeypatch):
    """screen_many batches texts of every kind (risk, safe, wordless, rule hits, over-long) through a panel and a
    model beside the rules; each result must equal screen() on that text alone (the risk score to float rounding:
    padding beside other texts changes the last bits)."""
    config, _metadata = trained
    _panel_members(trained, tmp_path)
    _variant(config.output_dir, tmp_path / "beside", rules="beside")
    monkeypatch.setattr("llm.safety.panel.LATER_MEMBER_TOKENS", 5)
    texts = [*RISK[:3], *SAFE[:3], "0" * 400, "I want to kill myself.", "i walked home with my sister after lunch",
             "\U0001f62d\U0001f62d", "nobody will miss me"]
    for model in (None, str(tmp_path / "beside"), _panel(tmp_path / "panel", "trained", "always")):
        together = screen_many(texts, locale="uk", model=model)
        alone = [screen(text, locale="uk", model=model) for text in texts]
        for batched, single in zip(together, alone, strict=True):
            assert batched.model_dump(exclude={"risk_score"}) == single.model_dump(exclude={"risk_score"}), model
            assert (batched.risk_score is None) == (single.risk_score is None), model
            assert batched.risk_score == pytest.approx(single.risk_score, abs=1e-5), model
    assert any(result.crisis for result in together) and not all(result.crisis for result in together)
