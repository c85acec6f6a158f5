"""The knowledge base: YAML files under retrieval/kb/, validated against a schema on load.

Three kinds of documents, each with a stable, human-readable id:
- ``explanation`` (``exp-...``): what one emotion often signals, common triggers, how it shows up in writing;
- ``activity`` (``act-...``): a concrete thing to do, with steps, duration, energy, setting, the emotions it
  suits and a one-line evidence note;
- ``prompt`` (``prm-...``): a reflection question for the journal.
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from llm.labels import EMOTIONS

Emotion = Literal["sadness", "joy", "love", "anger", "fear", "surprise"]
# Wording that would turn a suggestion into a medical claim; the KB must not use it.
MEDICAL_CLAIM = re.compile(
    r"\b(cure[sd]?|heals?|treatment|treats? (?:depression|anxiety|illness|disorders?)|diagnos\w*|"
    r"clinically proven|guarantee[sd]?|therapy for)\b", re.IGNORECASE)


class KnowledgeBaseError(ValueError):
    """The knowledge base on disk is malformed; the message names the file and the problem."""


def _no_medical_claims(value: str) -> str:
    match = MEDICAL_CLAIM.search(value)
    if match:
        raise ValueError(f"no medical claims in the knowledge base (found {match.group(0)!r})")
    return value


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^(exp|act|prm)-[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)
    title: str = Field(min_length=3, max_length=80)
    source: str = Field(default="", description="KB file the document came from (set by the loader)")

    @property
    def emotion_tags(self) -> list[str]:
        raise NotImplementedError

    def content_hash(self) -> str:
        """A hash of everything the document says (not where it lives): changes when the content changes."""
        payload = self.model_dump(exclude={"source"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class ExplanationDoc(_Document):
    """What one emotion often signals, when it comes up, and how it reads on the page."""

    kind: Literal["explanation"] = "explanation"
    emotion: Emotion
    signals: str = Field(min_length=40, max_length=600)
    triggers: list[str] = Field(min_length=2, max_length=8)
    in_writing: str = Field(min_length=30, max_length=400)
    summary: str = Field(min_length=30, max_length=300, description="one sentence used in fallback explanations")

    _check_claims = field_validator("signals", "in_writing", "summary")(_no_medical_claims)

    @property
    def emotion_tags(self) -> list[str]:
        return [self.emotion]

    def text(self) -> str:
        """The text that is embedded and searched."""
        return (f"{self.title}. {self.signals} Common triggers: {'; '.join(self.triggers)}. "
                f"In writing: {self.in_writing}")


class ActivityDoc(_Document):
    """A concrete, short activity with the emotions it suits and why it tends to help."""

    kind: Literal["activity"] = "activity"
    summary: str = Field(min_length=20, max_length=240)
    steps: list[Annotated[str, Field(min_length=5, max_length=200)]] = Field(min_length=2, max_length=6)
    duration_minutes: int = Field(ge=1, le=180)
    energy: Literal["low", "medium", "high"]
    social: Literal["alone", "with_others", "either"]
    place: Literal["indoors", "outdoors", "either"]
    emotions: list[Emotion] = Field(min_length=1, max_length=6)
    evidence: str = Field(min_length=10, max_length=200, description="one line: the idea it draws on")

    _check_claims = field_validator("summary", "evidence")(_no_medical_claims)

    @property
    def emotion_tags(self) -> list[str]:
        return list(self.emotions)

    def text(self) -> str:
        """The text that is embedded and searched."""
        return (f"{self.title}. {self.summary} Good for: {', '.join(self.emotions)}. "
                f"Steps: {' '.join(self.steps)}")


class PromptDoc(_Document):
    """A reflection question for the journal."""

    kind: Literal["prompt"] = "prompt"
    emotions: list[Emotion] = Field(min_length=1, max_length=6)
    prompt: str = Field(min_length=15, max_length=300)

    @property
    def emotion_tags(self) -> list[str]:
        return list(self.emotions)

    def text(self) -> str:
        """The text that is embedded and searched."""
        return f"{self.title}. {self.prompt}"


KBDocument = Annotated[ExplanationDoc | ActivityDoc | PromptDoc, Field(discriminator="kind")]
_FILE_SCHEMA = TypeAdapter(list[KBDocument])
KINDS: tuple[str, ...] = ("explanation", "activity", "prompt")
_PREFIX = {"explanation": "exp-", "activity": "act-", "prompt": "prm-"}


def load_file(path: Path, root: Path) -> list[ExplanationDoc | ActivityDoc | PromptDoc]:
    """Load and validate one KB file: a YAML mapping with a ``kind`` and a ``documents`` list."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeBaseError(f"{path}: not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise KnowledgeBaseError(f"{path}: expected a mapping with a 'documents' list")
    if data.get("kind") not in KINDS:
        raise KnowledgeBaseError(f"{path}: 'kind' must be one of {', '.join(KINDS)}")
    relative = path.relative_to(root).as_posix()
    rows = [{**row, "kind": data["kind"], "source": relative} if isinstance(row, dict) else row
            for row in data["documents"]]
    try:
        documents = _FILE_SCHEMA.validate_python(rows)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise KnowledgeBaseError(f"{path}: documents.{where}: {first['msg']}") from None
    for doc in documents:
        if not doc.id.startswith(_PREFIX[doc.kind]):
            raise KnowledgeBaseError(f"{path}: {doc.id}: the id of each {doc.kind} document starts with "
                                     f"{_PREFIX[doc.kind]!r}")
    return documents


def load_knowledge_base(root: str | Path) -> list[ExplanationDoc | ActivityDoc | PromptDoc]:
    """Load every ``*.yaml`` file under ``root``; ids must be unique across the whole KB."""
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeBaseError(f"knowledge base directory not found: {root}")
    documents: list[ExplanationDoc | ActivityDoc | PromptDoc] = []
    seen: dict[str, str] = {}
    for path in sorted(root.rglob("*.yaml")):
        for doc in load_file(path, root):
            if doc.id in seen:
                raise KnowledgeBaseError(f"{path}: duplicate id {doc.id} (also in {seen[doc.id]})")
            seen[doc.id] = doc.source
            documents.append(doc)
    if not documents:
        raise KnowledgeBaseError(f"no documents found under {root}")
    return documents


def coverage(documents: list) -> dict[str, dict[str, int]]:
    """How many documents of each kind carry each emotion tag."""
    table = {kind: {emotion: 0 for emotion in EMOTIONS} for kind in KINDS}
    for doc in documents:
        for emotion in doc.emotion_tags:
            table[doc.kind][emotion] += 1
    return table
