"""Grounded explanations and activity recommendations, composed with LangChain runnables.

    screen -> retrieve (Chroma, filtered by emotion, MMR) -> prompt -> LLM -> validate
                                                          \\-> deterministic fallback (on rejection or no LLM)

The crisis screen runs first: on a hit there are no activity suggestions, only crisis resources. The LLM
(any ``TextGenerator``: the transformers or vLLM classifier object) writes 2-3 sentences citing the ids of
the documents it used; the reply is rejected when it cites an id that was not retrieved, names an activity
that was not retrieved, or breaks the length bounds. Recommendations always come from retrieved documents.
"""

import re
from typing import Literal

import numpy as np
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from pydantic import BaseModel

from llm.degenerate import is_wordless
from llm.generation import Conversation, TextGenerator
from llm.prediction import Prediction
from llm.safety import SafetyResult, screen
from llm.text import split_sentences
from retrieval.documents import ActivityDoc, ExplanationDoc, load_knowledge_base
from retrieval.settings import RetrievalSettings
from retrieval.store import KnowledgeStore, SearchHit

_CITATION = re.compile(r"\[\s*((?:exp|act|prm)-[a-z0-9-]+(?:\s*[,;]\s*(?:exp|act|prm)-[a-z0-9-]+)*)\s*\]")
_BARE_ID = re.compile(r"\b(?:exp|act|prm)-[a-z0-9]+(?:-[a-z0-9]+)*\b")
_WORD = re.compile(r"[a-z]{4,}")
_STOPWORDS = frozenset("""that this with have from they them were been what when which your about would there their
into just like feel feels felt really very much more some than then only also even over such reads read wrote
write emotion often because makes made something things thing""".split())


class Recommendation(BaseModel):
    """One suggested activity, taken verbatim from a knowledge-base document."""

    id: str
    title: str
    steps: list[str]
    duration_minutes: int
    energy: str
    source: str


class Source(BaseModel):
    """A knowledge-base document the answer used."""

    id: str
    title: str
    kind: str


class Explanation(BaseModel):
    """Why the entry reads as its emotion, what might help, where that came from, and which path wrote it."""

    explanation: str
    recommendations: list[Recommendation]
    sources: list[Source]
    path: Literal["llm", "fallback", "crisis"]
    safety: SafetyResult
    emotions: list[str] = []
    reflection_prompt: str | None = None
    fallback_reason: str | None = None


class GenerationRejected(ValueError):
    """The LLM's explanation failed validation; the reason says which check."""


def retrieval_emotions(prediction: Prediction, margin: float) -> list[str]:
    """The predicted emotion, plus the runner-up when its score is within ``margin`` of the top one."""
    ranked = sorted(prediction.scores.items(), key=lambda item: item[1], reverse=True)
    emotions = [prediction.emotion]
    if len(ranked) > 1:
        runner_up, score = ranked[1] if ranked[0][0] == prediction.emotion else ranked[0]
        if runner_up != prediction.emotion and prediction.scores[prediction.emotion] - score <= margin:
            emotions.append(runner_up)
    return emotions


def _clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def validate_reply(reply: str, entry: str, retrieved: dict[str, SearchHit], other_activities: dict[str, str],
                   max_chars: int, max_sentences: int) -> tuple[str, list[str]]:
    """Return (explanation, cited ids) for an acceptable LLM reply, or raise ``GenerationRejected``."""
    text = " ".join(reply.replace("Explanation:", " ").split())
    cited = []
    for group in _CITATION.findall(text):
        cited += [part.strip() for part in re.split(r"[,;]", group)]
    cited += [id_ for id_ in _BARE_ID.findall(_CITATION.sub(" ", text))]
    cited = list(dict.fromkeys(cited))
    if not cited:
        raise GenerationRejected("no document id cited")
    unknown = [id_ for id_ in cited if id_ not in retrieved]
    if unknown:
        raise GenerationRejected(f"cited {unknown[0]}, which was not retrieved")
    prose = _BARE_ID.sub(" ", _CITATION.sub(" ", text))
    prose = " ".join(re.sub(r"\s+([.,!?])", r"\1", prose).split())
    if len(prose) < 40:
        raise GenerationRejected("explanation too short")
    if len(text) > max_chars:
        raise GenerationRejected(f"explanation longer than {max_chars} characters")
    if not re.search(r"[.!?][\"\u201d')\]]*$", text.rstrip()):
        raise GenerationRejected("explanation stops mid-sentence")
    sentences = split_sentences(prose)  # prose is one line here: breaks after . ! ?
    if len(sentences) > max_sentences:
        raise GenerationRejected(f"explanation has {len(sentences)} sentences (max {max_sentences})")
    words = prose.lower().split()
    if len(set(words)) < 0.5 * len(words):
        raise GenerationRejected("explanation repeats itself")
    entry_words = set(_WORD.findall(entry.lower())) - _STOPWORDS
    if not entry_words & (set(_WORD.findall(prose.lower())) - _STOPWORDS):
        raise GenerationRejected("explanation does not refer to anything the person wrote")
    lowered = prose.lower()
    for activity_id, title in other_activities.items():
        if activity_id not in retrieved and title.lower() in lowered:
            raise GenerationRejected(f"mentions activity {activity_id!r}, which was not retrieved")
    return text, cited


class ExplanationService:
    """Explains one classified entry and recommends activities, grounded in the knowledge store."""

    def __init__(self, store: KnowledgeStore, generator: TextGenerator | None, settings: RetrievalSettings) -> None:
        self.store = store
        self.generator = generator
        self.settings = settings
        if store.count() == 0:  # a fresh store: index the configured knowledge base once
            store.index(load_knowledge_base(settings.kb_path))
        self._activity_titles = store.catalogue("activity")
        retrieve = RunnablePassthrough.assign(context=RunnableLambda(self._retrieve))
        self.without_llm = retrieve | RunnableLambda(self._fallback)
        self.chain = self._build_chain(retrieve)

    def _build_chain(self, retrieve: Runnable) -> Runnable:
        fallback = RunnableLambda(self._fallback)
        if self.generator is None:
            return self.without_llm
        write = (RunnablePassthrough.assign(conversation=RunnableLambda(self._prompt))
                 | RunnablePassthrough.assign(reply=RunnableLambda(self._generate))
                 | RunnableLambda(self._accept))
        return retrieve | write.with_fallbacks([fallback], exceptions_to_handle=(GenerationRejected,),
                                               exception_key="error")

    def explain(self, text: str, prediction: Prediction, safety: SafetyResult | None = None) -> Explanation:
        """Screen, retrieve and explain one entry; crisis entries get resources and no activities.

        ``safety``: the entry's screen when the caller already ran it (a journal entry is screened once).
        """
        if not text.strip():
            raise ValueError("the entry is empty")
        if safety is None:
            safety = screen(text, self.settings.safety.locale, self.settings.safety.model)
        if safety.crisis:
            return self._crisis(safety)
        inputs = {"text": text, "prediction": prediction, "safety": safety}
        if is_wordless(text):  # nothing for the LLM to read: the grounded fallback, without a generation
            return self.without_llm.invoke({**inputs, "reason": "the entry has no words for the LLM to explain"})
        return self.chain.invoke(inputs)

    # --- steps -------------------------------------------------------------------------------------------
    def _retrieve(self, inputs: dict) -> dict:
        search, text = self.settings.search, inputs["text"]
        emotions = retrieval_emotions(inputs["prediction"], search.runner_up_margin)
        common = {"emotions": emotions, "mmr": True, "fetch_k": search.fetch_k, "mmr_lambda": search.mmr_lambda}
        explanations = self.store.search(text, kinds=["explanation"], k=min(search.k, 2), **common)
        wanted = max(search.k, self.settings.explanation.recommendations)
        activities = self.store.search(text, kinds=["activity"], k=wanted, **common)
        if len(activities) < 2:  # tags too narrow for this entry: widen to every activity
            activities = self.store.search(text, kinds=["activity"], k=wanted, mmr=True, fetch_k=search.fetch_k,
                                           mmr_lambda=search.mmr_lambda)
        prompts = self.store.search(text, emotions=emotions, kinds=["prompt"], k=1, mmr=False)
        return {"emotions": emotions, "explanations": explanations, "activities": activities, "prompts": prompts}

    def _prompt(self, inputs: dict) -> Conversation:
        context, prediction = inputs["context"], inputs["prediction"]
        if not context["explanations"]:
            raise GenerationRejected("no explanation document retrieved to ground the answer")
        notes = "\n".join(f"Note [{hit.id}]: {hit.document.summary}" for hit in context["explanations"])
        ideas = ", ".join(hit.title for hit in context["activities"])
        emotion, first_id = prediction.emotion, context["explanations"][0].id
        system = "You are a kind journaling companion. Reply with 2 or 3 short sentences and nothing else."
        user = (f"Journal entry: \"{_clip(inputs['text'], 600)}\"\n"
                f"The entry shows {emotion} ({prediction.confidence:.0%}).\n{notes}\n"
                f"Activities that may help: {ideas}.\n\n"
                f"In 2 or 3 sentences, tell the writer kindly why they may feel {emotion}, mentioning something "
                f"they wrote and using the notes. Put the id of each note you use in square brackets, "
                f"for example [{first_id}]. No medical advice.")
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _generate(self, inputs: dict) -> str:
        settings = self.settings.explanation
        return self.generator.generate([inputs["conversation"]], max_new_tokens=settings.max_new_tokens,
                                       temperature=settings.temperature)[0]

    def _accept(self, inputs: dict) -> Explanation:
        context = inputs["context"]
        retrieved = {hit.id: hit for key in ("explanations", "activities", "prompts") for hit in context[key]}
        text, cited = validate_reply(inputs["reply"], inputs["text"], retrieved, self._activity_titles,
                                     self.settings.explanation.max_chars, self.settings.explanation.max_sentences)
        return self._assemble(inputs, text, "llm", cited=cited)

    def _fallback(self, inputs: dict) -> Explanation:
        context = inputs["context"]
        reason = inputs.get("reason") or (str(inputs["error"]) if inputs.get("error") else (
            "no LLM configured" if self.generator is None else None))
        return self._assemble(inputs, self._deterministic_text(inputs["text"], inputs["prediction"], context),
                              "fallback", reason=reason)

    def _crisis(self, safety: SafetyResult) -> Explanation:
        first = safety.resources[0]
        text = ("What you wrote sounds really painful, and your safety matters more than anything else here. "
                f"Please reach out now to someone who can help, for example {first.name} ({first.contact}). "
                "You do not have to go through this alone.")
        return Explanation(explanation=text, recommendations=[], sources=[], path="crisis", safety=safety)

    # --- helpers -----------------------------------------------------------------------------------------
    def _deterministic_text(self, text: str, prediction: Prediction, context: dict) -> str:
        explanations: list[SearchHit] = context["explanations"]
        emotions = context["emotions"]
        mood = emotions[0] + (f", with some {emotions[1]}" if len(emotions) > 1 else "")
        first = f"When you wrote \u201c{self._quote(text, explanations)}\u201d, it reads mostly as {mood}."
        parts = [first]
        for hit in explanations[:2]:
            document: ExplanationDoc = hit.document
            sentence = f"{document.summary} [{hit.id}]"
            if len(parts) == 1 or len(" ".join([*parts, sentence])) <= self.settings.explanation.max_chars:
                parts.append(sentence)
        return " ".join(parts)

    def _quote(self, text: str, explanations: list[SearchHit]) -> str:
        """The part of the entry closest in meaning to the top explanation document."""
        pieces = [p.strip() for p in re.split(r"[.!?;\n]+", text) if len(p.strip().split()) >= 2]
        if len(pieces) <= 1 or not explanations:
            return _clip(pieces[0] if pieces else text)
        vectors = np.asarray(self.store.embeddings.embed_documents([*pieces, explanations[0].document.text()]))
        best = int(np.argmax(vectors[:-1] @ vectors[-1]))
        return _clip(pieces[best])

    def _assemble(self, inputs: dict, text: str, path: str, cited: list[str] | None = None,
                  reason: str | None = None) -> Explanation:
        context = inputs["context"]
        activities: list[SearchHit] = list(context["activities"])
        if cited:  # activities the LLM chose to mention go first
            activities.sort(key=lambda hit: hit.id not in cited)
        chosen = activities[:self.settings.explanation.recommendations]
        recommendations = []
        for hit in chosen:
            doc: ActivityDoc = hit.document
            recommendations.append(Recommendation(id=doc.id, title=doc.title, steps=list(doc.steps),
                                                  duration_minutes=doc.duration_minutes, energy=doc.energy,
                                                  source=f"kb/{doc.source}#{doc.id}"))
        used = [*context["explanations"], *chosen, *context["prompts"]]
        sources = [Source(id=hit.id, title=hit.title, kind=hit.kind) for hit in used]
        prompt = context["prompts"][0].document.prompt if context["prompts"] else None
        return Explanation(explanation=text, recommendations=recommendations, sources=sources, path=path,
                           safety=inputs["safety"], emotions=context["emotions"], reflection_prompt=prompt,
                           fallback_reason=reason)
