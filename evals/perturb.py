"""Journal-style surface changes to dair-ai text (lower case, no punctuation, contractions split or joined).

Each change keeps the meaning and only alters how the text looks, so a robust classifier
gives the same answer. All changes are rule-based and deterministic.
"""

import re
from collections.abc import Callable

# dair-ai writes contractions split ("don t", "i m") or joined without apostrophe ("dont", "im");
# only unambiguous joined forms are listed ("its", "ill", "id", "were" are real words).
_SPLIT = re.compile(r"\b(\w+) (t|m|s|re|ve|ll|d)\b")
_SPLIT_SUFFIXES = {"t": "n't", "m": "'m", "s": "'s", "re": "'re", "ve": "'ve", "ll": "'ll", "d": "'d"}
_JOINED = {
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "couldnt": "couldn't",
    "wouldnt": "wouldn't", "shouldnt": "shouldn't", "isnt": "isn't", "wasnt": "wasn't", "arent": "aren't",
    "werent": "weren't", "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "wont": "won't",
    "im": "i'm", "ive": "i've", "youre": "you're", "youve": "you've", "theyre": "they're", "thats": "that's",
    "whats": "what's", "theres": "there's",
}
_JOINED_RE = re.compile(r"\b(" + "|".join(_JOINED) + r")\b")
_CLAUSE_WORDS = re.compile(r" (but|because|although|though) ")


def rejoin_contractions(text: str) -> str:
    """``don t`` / ``dont`` -> ``don't``, ``i m`` / ``im`` -> ``i'm``, ``it s`` -> ``it's``."""
    def split_form(match: re.Match) -> str:
        word, suffix = match.group(1), match.group(2)
        if suffix == "t":
            return f"{word[:-1]}n't" if word.endswith("n") else match.group(0)
        return word + _SPLIT_SUFFIXES[suffix]

    text = _SPLIT.sub(split_form, text)
    return _JOINED_RE.sub(lambda m: _JOINED[m.group(1)], text)


def capitalise(text: str) -> str:
    """Sentence case: a capital first letter, and ``I`` for the pronoun (also in ``i'm``, ``i've``)."""
    text = re.sub(r"\bi\b", "I", text)
    return text[:1].upper() + text[1:]


def punctuate(text: str) -> str:
    """A comma before clause words (but, because, although, though) and a full stop at the end."""
    text = _CLAUSE_WORDS.sub(lambda m: f", {m.group(1)} ", text.rstrip())
    return text if text.endswith((".", "!", "?")) else text + "."


def journal_style(text: str) -> str:
    """All three changes together: how the same sentence looks in a journal."""
    return punctuate(capitalise(rejoin_contractions(text)))


VARIANTS: dict[str, Callable[[str], str]] = {
    "capitalisation": capitalise,
    "punctuation": punctuate,
    "contractions": rejoin_contractions,
    "journal": journal_style,
}
