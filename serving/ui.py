"""The journaling UI (Gradio, mounted at /ui): write entries, see emotions and activities, history.

It calls the same JournalService as the JSON API, in process. With API keys configured, people sign in
with their user name and API key; otherwise it is the single local user's journal.
"""

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from fastapi import FastAPI

from llm.labels import EMOTIONS
from serving.auth import Authenticator
from serving.errors import APIError
from serving.export import csv_lines, json_text
from serving.service import JournalService
from serving.store import Entry

UI_PATH = "/ui"


def _user(auth: Authenticator, request: gr.Request | None) -> str:
    if not auth.enabled:
        return auth.single_user
    username = getattr(request, "username", None)
    if not username:
        raise gr.Error("please sign in")
    return username


def format_resources(resources: list[Any]) -> str:
    """Crisis resources as markdown bullets, whatever shape each resource has."""
    lines = []
    for resource in resources:
        if isinstance(resource, dict):
            name = resource.get("name") or resource.get("title") or ""
            rest = " · ".join(str(v) for k, v in resource.items() if k not in ("name", "title") and v)
            lines.append(f"- **{name}** {rest}".rstrip())
        else:
            lines.append(f"- {resource}")
    return "\n".join(lines)


def format_card(recommendation: dict[str, Any]) -> str:
    """One activity card: title, duration and energy, steps, source."""
    meta = [f"{recommendation['duration_minutes']} min" if recommendation.get("duration_minutes") else "",
            f"{recommendation['energy']} energy" if recommendation.get("energy") else ""]
    steps = recommendation.get("steps") or []
    step_lines = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1)) if isinstance(steps, list) \
        else str(steps)
    source = recommendation.get("source") or recommendation.get("id") or ""
    header = f"#### 🌱 {recommendation.get('title', 'Activity')}"
    meta_line = " · ".join(m for m in meta if m)
    return "\n".join(part for part in (header, f"*{meta_line}*" if meta_line else "", step_lines,
                                      f"<sub>Source: `{source}`</sub>" if source else "") if part)


def format_reply(entry: Entry, model_version: str | None, problem: str | None) -> str:
    """The assistant's chat reply for an entry: emotion, explanation, activities or crisis resources."""
    score = entry.score_for(model_version)
    explanation = entry.explanation or {}
    safety = explanation.get("safety") or {}
    parts = []
    if entry.crisis or safety.get("crisis"):
        parts.append("**It sounds like you are going through something very hard. You do not have to face it "
                     "alone.** Please reach out to someone now:")
        parts.append(format_resources(safety.get("resources") or []) or
                     "- Call your local emergency number, or a crisis line where you live.")
    if score is not None:
        parts.append(f"### {score.emotion.capitalize()} · {score.confidence:.0%} confidence")
    else:
        parts.append("Your entry is saved. It could not be scored right now; it will be scored later.")
    if explanation.get("explanation"):
        parts.append(explanation["explanation"])
    if not (entry.crisis or safety.get("crisis")):
        cards = [format_card(r) for r in explanation.get("recommendations") or []]
        if cards:
            parts.append("**Things you could try**\n\n" + "\n\n".join(cards))
    if problem and score is not None and not explanation:
        parts.append("<sub>Explanations are not available right now.</sub>")
    return "\n\n".join(parts)


def history_rows(entries: list[Entry], model_version: str | None) -> pd.DataFrame:
    rows = []
    for entry in entries:
        score = entry.score_for(model_version)
        rows.append({"when": entry.timestamp.strftime("%Y-%m-%d %H:%M"),
                     "emotion": score.emotion if score else "pending",
                     "confidence": round(score.confidence, 3) if score else None,
                     "crisis": entry.crisis,
                     "model": score.model_version if score else "",
                     "entry": entry.text if len(entry.text) <= 120 else entry.text[:117] + "..."})
    return pd.DataFrame(rows, columns=["when", "emotion", "confidence", "crisis", "model", "entry"])


def build_ui(service: JournalService, auth: Authenticator) -> gr.Blocks:
    """The Blocks app: a Journal tab (chat) and a History tab (entries, mood chart, export, model)."""

    async def submit(text: str, chat: list[dict], request: gr.Request):
        text = (text or "").strip()
        if not text:
            raise gr.Error("write something first")
        if len(text) > service.config.limits.max_text_chars:
            raise gr.Error(f"entries are limited to {service.config.limits.max_text_chars} characters")
        entry, problem = await service.write_entry(_user(auth, request), text, explain=True)
        score = entry.score_for(service.model_version)
        chat = [*chat, {"role": "user", "content": text},
                {"role": "assistant", "content": format_reply(entry, service.model_version, problem)}]
        scores = dict(score.scores) if score else None
        return "", chat, scores

    def history(period: str, request: gr.Request):
        user = _user(auth, request)
        version = service.model_version
        entries, _total = service.store.list_entries(user, limit=service.config.limits.max_page_size)
        buckets = service.store.mood_summary(user, period, version)
        mood = pd.DataFrame([{"period": b.start.strftime("%Y-%m-%d"), "emotion": label,
                              "score": b.mean_scores[label]}
                             for b in buckets for label in EMOTIONS], columns=["period", "emotion", "score"])
        return history_rows(entries, version), mood, model_panel()

    def model_panel() -> str:
        runner = service.runner
        info = runner.info
        if info is None:
            return f"**Model:** {runner.state}" + (f" — {runner.error}" if runner.error else "")
        adapter = f"`{info.adapter}` (version `{info.adapter_version}`)" if info.adapter else "none"
        encoder = (f"`{info.encoder}` (version `{info.encoder_version}`, weight {info.encoder_weight:g})"
                   if info.encoder else "none")
        return (f"**Model version:** `{info.version}`  \n**Base model:** `{info.base_model}`  \n"
                f"**Adapter:** {adapter}  \n**Voting encoder:** {encoder}  \n**Backend:** {info.backend}  \n"
                f"**Explanations:** {service.explainer.state}")

    def export(kind: str, request: gr.Request) -> str:
        user = _user(auth, request)
        entries = service.store.iter_entries(user)
        path = Path(tempfile.mkdtemp(prefix="emoai-export-")) / f"journal.{kind}"
        text = json_text(entries, service.model_version) if kind == "json" else \
            "".join(csv_lines(entries, service.model_version))
        path.write_text(text)
        return str(path)

    def export_csv(request: gr.Request) -> str:
        return export("csv", request)

    def export_json(request: gr.Request) -> str:
        return export("json", request)

    with gr.Blocks(title="emoai journal") as blocks:
        gr.Markdown("# emoai journal\nWrite how your day went. You will see the emotion it expresses, "
                    "why, and a few things you could try.")
        with gr.Tab("Journal"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Journal", height=480, elem_id="journal-chat")
                    entry = gr.Textbox(label="New entry", placeholder="Today I...", lines=3,
                                       elem_id="entry-text")
                    send = gr.Button("Save entry", variant="primary", elem_id="submit-entry")
                with gr.Column(scale=2):
                    scores = gr.Label(label="Emotion scores", num_top_classes=len(EMOTIONS), elem_id="scores")
            send.click(submit, [entry, chat], [entry, chat, scores])
            entry.submit(submit, [entry, chat], [entry, chat, scores])
        with gr.Tab("History") as history_tab:
            period = gr.Radio(["day", "week"], value="day", label="Mood per")
            mood = gr.LinePlot(x="period", y="score", color="emotion", title="Mean emotion score over time",
                               y_lim=[0, 1], elem_id="mood-chart")
            table = gr.Dataframe(label="Entries (newest first)", interactive=False, wrap=True)
            with gr.Row():
                csv_button = gr.Button("Export CSV")
                json_button = gr.Button("Export JSON")
            download = gr.File(label="Export", interactive=False)
            model_md = gr.Markdown()
            refresh = gr.Button("Refresh")
            for trigger in (history_tab.select, period.change, refresh.click):
                trigger(history, [period], [table, mood, model_md])
            csv_button.click(export_csv, None, download)
            json_button.click(export_json, None, download)
    return blocks


def mount_ui(app: FastAPI, service: JournalService, auth: Authenticator) -> FastAPI:
    """Mount the UI at /ui; with API keys, sign-in is user name + API key."""

    def sign_in(username: str, password: str) -> bool:
        try:
            return auth.user_for_key(password) == username
        except APIError:
            return False

    return gr.mount_gradio_app(app, build_ui(service, auth), path=UI_PATH,
                               auth=sign_in if auth.enabled else None,
                               auth_message="Sign in with your user name and API key.")

