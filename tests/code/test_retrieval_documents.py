"""The knowledge base on disk: size, coverage of all six emotions, schema validation and its errors."""

import textwrap

import pytest

from llm.labels import EMOTIONS
from retrieval.documents import KnowledgeBaseError, coverage, load_knowledge_base
from retrieval.settings import SHIPPED_KB

ACTIVITY = """\
kind: activity
documents:
  - id: act-test-walk
    title: A test walk
    summary: Walk around the block to check that the loader works.
    steps: [Put on shoes., Walk around the block.]
    duration_minutes: 10
    energy: low
    social: alone
    place: outdoors
    emotions: [sadness]
    evidence: Physical activity; a short walk.
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_shipped_kb_is_large_and_covers_every_emotion():
    documents = load_knowledge_base(SHIPPED_KB)
    assert len(documents) >= 150
    table = coverage(documents)
    for emotion in EMOTIONS:
        assert table["explanation"][emotion] >= 6, emotion
        assert table["activity"][emotion] >= 15, emotion
        assert table["prompt"][emotion] >= 4, emotion
    kinds = [doc.kind for doc in documents]
    assert kinds.count("activity") >= 80 and kinds.count("prompt") >= 25


def test_every_activity_is_complete_and_sourced():
    for doc in load_knowledge_base(SHIPPED_KB):
        assert doc.source.endswith(".yaml")
        if doc.kind == "activity":
            assert 2 <= len(doc.steps) <= 6 and doc.evidence and doc.duration_minutes > 0


def test_a_valid_file_loads_with_its_source(tmp_path):
    write(tmp_path, "activities/walks.yaml", ACTIVITY)
    [doc] = load_knowledge_base(tmp_path)
    assert doc.id == "act-test-walk" and doc.source == "activities/walks.yaml"
    assert "Walk around the block" in doc.text()


@pytest.mark.parametrize("change, message", [
    (("energy: low", "energy: extreme"), "energy"),
    (("    evidence: Physical activity; a short walk.\n", ""), "evidence"),
    (("id: act-test-walk", "id: exp-test-walk"), "starts with 'act-'"),
    (("Physical activity; a short walk.", "Cures sadness in a week."), "no medical claims"),
    (("emotions: [sadness]", "emotions: [boredom]"), "emotions"),
])
def test_schema_errors_name_the_file_and_field(tmp_path, change, message):
    write(tmp_path, "activities/walks.yaml", ACTIVITY.replace(*change))
    with pytest.raises(KnowledgeBaseError, match=message) as err:
        load_knowledge_base(tmp_path)
    assert "walks.yaml" in str(err.value)


def test_duplicate_ids_and_bad_yaml_are_rejected(tmp_path):
    write(tmp_path, "a.yaml", ACTIVITY)
    write(tmp_path, "b.yaml", ACTIVITY)
    with pytest.raises(KnowledgeBaseError, match="duplicate id act-test-walk"):
        load_knowledge_base(tmp_path)
    (tmp_path / "b.yaml").write_text("kind: activity\ndocuments:\n  - title: a: b\n")
    with pytest.raises(KnowledgeBaseError, match="not valid YAML at line 3"):
        load_knowledge_base(tmp_path)


def test_missing_directory_and_kind_are_clear_errors(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="not found"):
        load_knowledge_base(tmp_path / "nope")
    write(tmp_path, "x.yaml", "documents: []\n")
    with pytest.raises(KnowledgeBaseError, match="'kind' must be one of"):
        load_knowledge_base(tmp_path)


def test_content_hash_follows_content_not_location(tmp_path):
    write(tmp_path, "one/walks.yaml", ACTIVITY)
    [first] = load_knowledge_base(tmp_path / "one")
    write(tmp_path, "two/elsewhere.yaml", ACTIVITY)
    [moved] = load_knowledge_base(tmp_path / "two")
    write(tmp_path, "three/walks.yaml", ACTIVITY.replace("duration_minutes: 10", "duration_minutes: 12"))
    [edited] = load_knowledge_base(tmp_path / "three")
    assert first.content_hash() == moved.content_hash() != edited.content_hash()
