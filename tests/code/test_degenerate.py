"""Text without words is recognised cheaply; long repeated runs are cut before a model reads them."""

import random
import string

import pytest

from llm.degenerate import collapse_repeats, is_wordless

RNG = random.Random(0)
RANDOM_BYTES = "".join(RNG.choice(string.printable) for _ in range(2000))


@pytest.mark.parametrize("text", ["0" * 5000, "!?." * 1000, "a" * 300, "ok", "hi!!!!!!!", "\U0001f62d" * 3,
                                  "12/03 - 45.00", RANDOM_BYTES])
def test_text_without_words_is_wordless(text):
    assert is_wordless(text)


@pytest.mark.parametrize("text", ["Cleared out Dad's closet today. Kept the blue sweater.",
                                  "Rent 1200, food 300, bus 45 - ugh, short again this month",
                                  "\u6211\u4eca\u5929\u5f88\u96be\u8fc7\uff0c\u56e0\u4e3a\u6211\u7684\u732b\u6b7b\u4e86\u3002",
                                  "help " * 50, "nope, not today", "I am soooooooooo tired"])
def test_ordinary_text_is_not_wordless(text):
    assert not is_wordless(text)


def test_long_repeated_runs_are_cut_and_everything_else_is_kept():
    sentence = "I went to the shop and bought some bread. "
    assert collapse_repeats(sentence * 100) == sentence * 3
    assert collapse_repeats("0" * 4000 + " I do not want to be here anymore.") == "000 I do not want to be here anymore."
    for kept in ("soooooo tired!!!!!!", "haha " * 12, sentence * 2):
        assert collapse_repeats(kept) == kept  # runs of at most 64 characters stay as written
