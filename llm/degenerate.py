"""Text that carries no words, recognised cheaply before any model reads it.

A learned screen reads a text in windows of tokens, so its cost grows with the number of tokens, and digits,
punctuation and random bytes cost about one token per character. An entry of one repeated character, of
digits and punctuation only, or of random bytes says nothing about how its writer feels; the crisis screen
keeps its rules for such text and skips its models (`llm.safety.screen`). Long runs of a repeated chunk are
cut to a few repeats before a model reads a text: what is said stays, the cost of saying it 500 times goes.
"""

import re

MIN_DISTINCT_LETTERS = 3  # "aaaa", "ok", "zz": fewer distinct letters than this is not language
MIN_LETTER_SHARE = 0.6  # letters among the visible characters of ordinary text, in any script
MIN_WORD_SHARE = 0.2  # whitespace-separated tokens that are words, in a text with few letters
KEPT_REPEATS = 3
LONGEST_KEPT_RUN = 64  # characters: shorter runs ("soooo", "!!!!") are emphasis and stay as written
_REPEATED_CHUNK = re.compile(rf"(.{{1,{LONGEST_KEPT_RUN}}}?)\1{{{KEPT_REPEATS},}}", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_EDGE_PUNCTUATION = "\"'()[]{}.,;:!?\u2018\u2019\u201c\u201d"


def is_wordless(text: str) -> bool:
    """Whether a text has no words: no letters, one or two letters repeated, or mostly symbols and digits."""
    letters = [char for char in text if char.isalpha()]
    if len({char.lower() for char in letters}) < MIN_DISTINCT_LETTERS:
        return True
    visible = sum(not char.isspace() for char in text)
    if len(letters) >= MIN_LETTER_SHARE * visible:
        return False
    tokens = text.split()
    words = sum(bool(_WORD.fullmatch(token.strip(_EDGE_PUNCTUATION))) for token in tokens)
    return words < MIN_WORD_SHARE * len(tokens)


def collapse_repeats(text: str, keep: int = KEPT_REPEATS) -> str:
    """The text with every run of one repeated chunk longer than ``LONGEST_KEPT_RUN`` cut to ``keep`` chunks."""
    def shorten(match: re.Match) -> str:
        run = match.group(0)
        return run if len(run) <= LONGEST_KEPT_RUN else match.group(1) * keep
    return _REPEATED_CHUNK.sub(shorten, text)
