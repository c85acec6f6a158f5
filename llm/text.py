"""Text preparation shared by training and serving: the two text styles a model can be trained on.

dair-ai/emotion text is lower-case a-z with single spaces and no punctuation; some
contractions are split (``don t``) and others joined (``dont``). Journal text has
capitals, punctuation, emoji and newlines.

- ``dair``: ``dair_text`` maps both onto the dair-ai form (case, punctuation and most
  emoji are lost, a few emoji become words).
- ``natural``: ``natural_text`` keeps the text as written (case, punctuation, emoji) and only
  unifies Unicode forms, apostrophes and white space.

A model records the style it was trained with, and serving prepares text the same way.

The crisis rules read text their own way (``llm.safety.rules.text_for_rules``: they need the punctuation and
quotes these forms drop). ``split_sentences`` is the one sentence splitter (the crisis models' `sentences`
scoring, the check on an explanation's length).
"""

import re
import unicodedata
from typing import Literal

TextStyle = Literal["dair", "natural"]
TEXT_STYLES: tuple[str, ...] = ("dair", "natural")

_EMOJI_WORDS = {
    "😢": "sad", "😭": "sad", "☹": "sad", "🙁": "sad", "😞": "sad", "😔": "sad", "💔": "heartbroken",
    "😊": "happy", "😀": "happy", "😃": "happy", "😄": "happy", "😁": "happy", "🙂": "happy", "🥳": "happy",
    "❤": "love", "😍": "love", "🥰": "love", "😘": "love", "💕": "love",
    "😡": "angry", "😠": "angry", "🤬": "angry",
    "😨": "scared", "😱": "scared", "😰": "anxious", "😟": "worried",
    "😮": "surprised", "😲": "surprised", "🤯": "amazed",
}
_EMOJI_RE = re.compile("|".join(map(re.escape, _EMOJI_WORDS)))
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# Contractions that dair-ai sometimes splits ("don t", "i m"): join them ("dont", "im").
_SPLIT_CONTRACTIONS = [
    (re.compile(r"\b([a-z]+n) t\b"), r"\1t"),
    (re.compile(r"\bi m\b"), "im"),
    (re.compile(r"\b([a-z]+) (s|re|ve|ll)\b"), r"\1\2"),
    (re.compile(r"\b(i|you|he|she|we|they) d\b"), r"\1d"),
]
_NON_LETTERS_RE = re.compile(r"[^a-z]+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")


def dair_text(text: str) -> str:
    """Map raw text (journal or dataset) to the dair-ai form: a-z words, single spaces (the ``dair`` style)."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI_RE.sub(lambda m: f" {_EMOJI_WORDS[m.group(0)]} ", text)
    text = text.translate(_APOSTROPHES).lower()
    text = re.sub(r"([a-z])'([a-z])", r"\1\2", text)  # don't -> dont, i'm -> im
    text = _NON_LETTERS_RE.sub(" ", text)
    text = " ".join(text.split())
    for pattern, joined in _SPLIT_CONTRACTIONS:
        text = pattern.sub(joined, text)
    return text


def natural_text(text: str) -> str:
    """Text as written, with Unicode forms, apostrophes and runs of white space (newlines too) unified."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return " ".join(text.split())


def prepare_text(text: str, style: TextStyle) -> str:
    """The text a model of the given style sees."""
    if style == "dair":
        return dair_text(text)
    if style == "natural":
        return natural_text(text)
    raise ValueError(f"unknown text style {style!r}; expected one of {', '.join(TEXT_STYLES)}")


def split_sentences(text: str) -> list[str]:
    """The sentences of a text: breaks after ".", "!" or "?" and at line breaks (the whole text when it has only
    one)."""
    return [part.strip() for part in _SENTENCE_BREAK.split(text) if part.strip()] or [text]
