"""GoEmotions-6: the shared local copy, and the hub mapping real users get (same rules as its README)."""

from collections import Counter

from llm.datasets import GOEMOTIONS_MAPPING, load_named, map_goemotions
from llm.labels import EMOTIONS

EXPECTED = {"train": {"sadness": 1918, "joy": 5872, "love": 2076, "anger": 2974, "fear": 515, "surprise": 720},
            "validation": {"sadness": 221, "joy": 763, "love": 269, "anger": 334, "fear": 66, "surprise": 95}}


def test_the_local_copy_is_found_beside_the_dair_ai_copy_and_matches_its_readme(shared_data_dir, monkeypatch):
    monkeypatch.setenv("EMOAI_DATA_DIR", str(shared_data_dir))
    monkeypatch.delenv("EMOAI_GOEMOTIONS_DIR", raising=False)
    for split, counts in EXPECTED.items():
        assert Counter(e.label_text for e in load_named(f"goemotions6-{split}")) == counts


def test_the_hub_mapping_keeps_single_label_comments_of_mapped_emotions_only():
    rows = [("thanks so much!", ["gratitude"]), ("ugh", ["annoyance"]), ("wow", ["surprise", "joy"]),
            ("hmm", ["confusion"]), ("ok", ["neutral"]), ("i miss him", ["grief"]), ("aww", ["caring"])]
    assert [(e.text, e.label_text) for e in map_goemotions(rows)] == [
        ("thanks so much!", "joy"), ("ugh", "anger"), ("i miss him", "sadness"), ("aww", "love")]
    assert set(GOEMOTIONS_MAPPING.values()) == set(EMOTIONS)
