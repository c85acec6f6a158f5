"""The crisis screen: rules, context handling, locales, and its measured recall/precision on the project's set."""

import pytest

from llm.safety import RULES, crisis_resources, matched_rules, resolve_locale, screen


@pytest.mark.parametrize("text", [
    "I want to kill myself.",
    "i dont want to live anymore",
    "Everyone would be better off without me.",
    "I wish I could go to sleep and never wake up.",
    "I've been cutting myself again.",
    "I have been feeling suicidal for weeks.",
    "I'm such a burden to my family.",
])
def test_risk_statements_are_flagged_with_resources(text):
    result = screen(text)
    assert result.crisis
    assert result.matched
    assert result.resources and all(r.name and r.contact for r in result.resources)


@pytest.mark.parametrize("text", [
    "I want to die. Just kidding.",
    "i want to kill myself lol jk",
    "I want to end it all. I'm fine though, really.",
    "I've been thinking about killing myself. Never mind, forget I said that.",
])
def test_a_later_denial_never_clears_the_entry(text):
    assert screen(text).crisis


@pytest.mark.parametrize("text, why", [
    ("I could die of embarrassment, I called my teacher mum.", "hyperbole"),
    ("This traffic is killing me.", "hyperbole"),
    ("I don't want to die, I'm just scared of the surgery.", "negation"),
    ("I'm not suicidal, just exhausted.", "negation"),
    ("My friend told me she is suicidal and I'm worried.", "someone else"),
    ('The song goes "I want to die in your arms tonight", so dramatic.', "lyrics"),
    ("Five years ago I wanted to kill myself, but therapy helped and now I'm happy.", "past, recovered"),
    ("I don't want to live in London anymore, it's so expensive.", "not about living"),
    ("I want to end things with my boyfriend.", "a breakup"),
])
def test_the_rules_clear_hard_negatives(text, why):
    """The rules' context checks; the learned model still flags some of these (see docs/retrieval.md)."""
    result = screen(text, model=None)
    assert not result.crisis, why
    assert result.resources == [] and result.matched == []


def test_a_past_statement_that_is_coming_back_is_still_flagged():
    assert screen("Years ago I wanted to die, I got better, but lately these thoughts are back.").crisis


def test_negation_only_counts_between_the_writer_and_the_phrase():
    assert screen("I don't know why I want to die.", model=None).crisis
    assert not screen("I don't want to die.", model=None).crisis


def test_matched_names_the_rules():
    assert matched_rules("I want to kill myself") == ["kill_myself"]
    assert {rule.name for rule in RULES} >= {"kill_myself", "want_to_die", "burden", "never_wake_up"}


def test_locales_resolve_with_an_international_default():
    assert resolve_locale("en-GB") == "uk"
    assert resolve_locale("US") == "us"
    assert resolve_locale("xx-unknown") == "default"
    us = screen("I want to die", locale="en_US", model=None)
    assert us.locale == "us" and any("988" in r.contact for r in us.resources)
    assert any("116 123" in r.contact for r in crisis_resources("uk"))
    assert any("findahelpline.com" in (r.url or "") for r in crisis_resources("default"))


def test_screen_is_deterministic():
    text = "Nobody would even notice if I was gone."
    assert screen(text) == screen(text)
