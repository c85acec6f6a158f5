"""The rules of the crisis screen: a transparent, deterministic rule set for self-harm and suicide risk.

Each rule is a named regular expression over the text as ``text_for_rules`` prepares it (lower case, straight
quotes, apostrophes dropped: "don't" -> "dont"; punctuation and line breaks kept). A match counts unless, in its
own sentence,
- it is negated between its subject and the phrase ("I don't want to die"), for rules where negation flips
  the meaning (never for "I don't want to live", which is a risk statement);
- its subject is someone else ("my friend is suicidal", "the character wants to die");
- it is quoted from a song, film, book or show, with no sign the writer identifies with it;
- it is a distant-past statement and the entry says things are better now, with no sign it is coming back;
- it is a known hyperbole ("I wanted to die of embarrassment").
A later denial ("just kidding", "I'm fine") never clears an entry: exemptions only look at the sentence of
the match (and, for past statements, at signs of recovery), never at what follows.

The rules screen alone when no learned screen is loaded; with the shipped panel (``llm.safety.screen``) they are
its fallback.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One named risk pattern; ``negatable`` rules are cleared by a negation before the phrase."""

    name: str
    pattern: re.Pattern
    negatable: bool = False
    needs_first_person: bool = True


def _rule(name: str, pattern: str, negatable: bool = False, needs_first_person: bool = True) -> Rule:
    return Rule(name, re.compile(pattern), negatable, needs_first_person)


RULES: tuple[Rule, ...] = (
    # explicit statements
    _rule("kill_myself", r"\b(?:kill(?:ing|ed)?|off(?:ing)?) my ?self\b|\bunalive (?:my ?self|me)\b|\bkms\b", negatable=True),
    _rule("end_my_life", r"\b(?:end(?:ing|ed)?|tak(?:e|ing)|took) (?:my own|my) life\b|"
                         r"\b(?:attempt(?:ed|ing)?|commit(?:ted|ting)?|consider(?:ing|ed)?) suicide\b",
          negatable=True),
    _rule("end_it_all", r"\bend(?:ing)? it all\b|\b(?:want|going|gonna|plan|planning|ready|decided) to end it\b"
                        r"(?! with| between| for)", negatable=True),
    _rule("suicidal", r"\bsuicidal\b|\b(?:thoughts?|thinking|think|thought) (?:about|of) (?:suicide|dying)\b|"
                      r"\bsuicide note\b", negatable=True),
    _rule("want_to_die", r"\b(?:want|wanna|wanted|wanting|wants|wish|need|ready|planning|plan|deserve)"
                         r" (?:is |was )?to die\b|\b(?:cant|cannot|should|wish)(?: i| i could)? just die\b|\b(?:wish|wished) i (?:was|were|had been) dead\b|"
                         r"\b(?:rather|better off) (?:be )?dead\b|\bmight as well (?:just )?(?:die|be dead)\b",
          negatable=True),
    _rule("self_harm", r"\b(?:hurt(?:ing)?|harm(?:ing|ed)?|cut(?:ting)?|burn(?:ing|ed|t)?|hit(?:ting)?|"
                       r"punish(?:ing|ed)?|starv(?:e|ing|ed)) my ?self\b|\bself[- ]?harm(?:ing)?\b",
          negatable=True),
    _rule("method", r"\boverdos(?:e|ed|ing)\b|\bhang(?:ing)? my ?self\b|"
                    r"\b(?:jump(?:ing)?|throw(?:ing)? myself) (?:off|from|in front of) (?:a|the|my)\b|"
                    r"\bthought about jumping\b|\b(?:all|whole bottle of|handful of) (?:my |the )?pills\b|"
                    r"\bhow many pills\b|\bways to (?:die|end it|kill)\b|\bbought (?:a )?rope\b|"
                    r"\bplan(?:ning)? (?:is )?to (?:take (?:the|all|all my|my) pills|overdose|jump|hang)\b",
          negatable=True),
    # indirect statements
    _rule("not_want_to_live",
          r"\b(?:dont|do not|no longer|never|not sure i|not sure if i) (?:really )?(?:want|wanna|wish) to "
          r"(?:live|be alive|exist|wake up|go on|keep going|be here)\b(?! (?:in|with|at|near|there|on|by|together|"
          r"alone|like that|without))"),
    _rule("tired_of_living", r"\btired of (?:living|being alive|life|existing)\b(?! out of| in| with)|"
                             r"\b(?:cant|cannot|can not) (?:keep|go on) living\b|\bstop existing\b|"
                             r"\blife (?:isnt|is not) worth living\b"),
    _rule("no_reason_to_live",
          r"\b(?:no|nothing|any) (?:left )?(?:reason|point|purpose) (?:for me )?(?:to|in|of) "
          r"(?:live|living|go on|going on|keep going|being alive|life)\b|\bnothing (?:left )?to live for\b|"
          r"\bwhats the point (?:of|in) (?:going on|living|being alive|life|anything anymore)\b"),
    _rule("better_off_without_me",
          r"\bbetter off (?:without me|if i (?:was|were|wasnt|werent) (?:gone|dead|here|around))\b|"
          r"\b(?:better|easier) (?:place )?(?:for everyone )?(?:without me|if i (?:just )?(?:wasnt|werent|was not|"
          r"were not) (?:here|around|alive))\b|\bwould be relieved if i (?:died|disappeared|was gone|were gone)\b|"
          r"\bdoing everyone a favou?r by (?:dying|disappearing|leaving)\b", needs_first_person=False),
    _rule("burden", r"\b(?:im|i am|i feel like|feel like) (?:such |just |nothing but )?a burden\b|"
                    r"\bburden (?:to|on) (?:everyone|everybody|my family|them|others|the people)\b"),
    _rule("nobody_would_miss_me",
          r"\b(?:no one|nobody|noone) (?:would|will) (?:even )?(?:miss me|notice|care)\b.*\bif i "
          r"(?:was|were|died|disappeared|wasnt|werent|left)\b|\b(?:no one|nobody|noone) would miss me\b",
          needs_first_person=False),
    _rule("disappear_forever",
          r"\b(?:disappear|vanish)(?:ed|ing)? (?:forever|for good|permanently)\b|"
          r"\bdisappear and never come back\b"),
    _rule("never_wake_up", r"\b(?:sleep|asleep) and (?:never|not) wake up\b|\b(?:hope|wish|wishing)(?: that)? i "
                           r"(?:dont|do not|wouldnt|would not|never|wont) wake up\b|\bnever want to wake up\b|"
                           r"\b(?:dont|do not) want to wake up\b"),
    _rule("never_born", r"\bwish (?:i had |id |i )?(?:never been|not been|was never|wasnt) born\b"),
    _rule("goodbye", r"\b(?:my )?last (?:entry|post|goodbye)\b|\bsaid my goodbyes\b|"
                     r"\bsaying goodbye to (?:people|everyone|everybody)\b|\bgoodbye (?:letters?|notes?|messages?)\b|"
                     r"\bgiv(?:e|en|ing) away (?:my|all my) (?:things|stuff|belongings|possessions|cat|dog)\b|"
                     r"\bnot (?:be )?around (?:much|for) (?:much )?longer\b|\bits almost time\b"),
    _rule("plan", r"\b(?:made|have|making) a plan\b.*\b(?:do it|when|how)\b|"
                  r"\bthinking about how i (?:would|will|could) do it\b|\bthought about how i would do it\b|"
                  r"\bknow (?:what|when) im going to do\b"),
    _rule("want_it_to_end", r"\bwant (?:it all|everything|my life) to (?:end|stop)\b|"
                            r"\bwant everything to stop forever\b|\bway out (?:except|but)\b|\bnot being alive\b|"
                            r"\bonly way out\b"),
    _rule("not_here_anymore", r"\b(?:dont|do not) want to be (?:here|alive|around) anymore\b"),
)

# Sentence-level context
_NEGATION = re.compile(r"\b(?:not|never|dont|do not|wont|would never|wouldnt|no longer|no|nor|havent|have never)\b")
_FIRST_PERSON = {"i", "im", "ive", "id", "ill", "me", "myself"}
_OTHER_SUBJECT = {
    "he", "she", "they", "hes", "shes", "theyre", "you", "youre", "him", "her", "them", "himself", "herself",
    "friend", "brother", "sister", "mum", "mom", "dad", "father", "mother", "son", "daughter", "aunt", "uncle",
    "cousin", "colleague", "coworker", "roommate", "flatmate", "housemate", "classmate", "neighbour",
    "neighbor", "student", "patient", "client", "kid", "child", "teen", "niece", "nephew", "grandma", "grandpa",
    "grandmother", "grandfather", "boss", "teacher", "partner", "boyfriend", "girlfriend", "husband", "wife", "someone", "somebody",
    "people", "character", "narrator", "singer", "villain", "hero", "protagonist", "song", "film", "movie",
    "book", "novel", "show", "episode", "series", "band", "lyrics", "line", "story", "documentary", "podcast",
}
_MEDIA = re.compile(r"\b(?:song|songs|lyrics?|sings?|sang|singer|singing|band|album|single|track|chorus|verse|"
                    r"movie|film|show|series|episode|season|book|novel|poem|play|character|villain|narrator|"
                    r"documentary|podcast|scene)\b")
_IDENTIFIES = re.compile(r"\b(?:how i feel|i feel (?:the same|like that|that way)|i relate|thats me|its me|"
                         r"same here|me too|describes me|about me)\b")
_HYPERBOLE = re.compile(r"\b(?:die|died|dying|dead) (?:of|from) (?:embarrassment|shame|laughter|laughing|boredom|"
                        r"cringe|cuteness|happiness|excitement)\b")
_DISTANT_PAST = re.compile(r"\b(?:years? ago|months ago|back then|back in|used to|when i was|there was a time|"
                           r"at my lowest|in (?:high school|college|uni|university|school|my teens|my twenties)|"
                           r"as a (?:teen|teenager|kid|child)|once felt|last year|a long time ago|"
                           r"in (?:19|20)\d\d)\b")
_RECOVERED = re.compile(r"\b(?:better|well|happy|happier|grateful|glad|good|great|healthy|thriving|fine|okay|"
                        r"hopeful|at peace|proud|free of it|in a (?:much )?better place|love my life|life is good|"
                        r"recovered|got help|getting help|therapy helped|survived)\b")
_RELAPSE = re.compile(r"\b(?:again|coming back|came back|are back|is back|returning|creeping back|lately|"
                      r"recently|relaps\w*|still (?:feel|think|want|have)|these thoughts)\b")
# Where a match's sentence ends, for the context checks. Not llm.text.split_sentences (which cuts an entry into
# sentences to score): the rules look up the bounds around one position, and also end a sentence at ";" and
# " - ", so a negation or subject across them does not clear a match.
_SENTENCE_END = re.compile(r"[.!?;\n]+|\s-\s")


def text_for_rules(text: str) -> str:
    """The text the rules read: lower case, straight quotes, apostrophes inside words dropped, spaces collapsed.

    Not ``llm.text.dair_text`` (the dair-ai form a classifier may be trained on): that one drops punctuation,
    quotes and line breaks, and the rules need them, to find the sentence of a match ("." "!" "?" ";" line
    breaks) and quoted lines ('"..."'). Both drop apostrophes inside words the same way ("don't" -> "dont").
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _sentence_bounds(text: str, position: int) -> tuple[int, int]:
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= position:
            start = match.end()
        elif match.start() >= position:
            return start, match.start()
    return start, len(text)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in re.finditer(r'"[^"]*"', text)]
    spans += [m.span() for m in re.finditer(r"(?<!\w)'[^']+'(?!\w)", text)]
    return spans


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text)


def _subject_is_first_person(prefix: str) -> bool:
    """The nearest subject before the phrase is the writer (or there is none: diaries drop the 'I')."""
    for word in reversed(_words(prefix)):
        if word in _FIRST_PERSON:
            return True
        if word in _OTHER_SUBJECT:
            return False
    return True


def _negated(prefix: str) -> bool:
    """A negation between the nearest first-person subject and the phrase ("i dont want to die")."""
    words = _words(prefix)
    tail: list[str] = []
    for word in reversed(words):
        if word in _FIRST_PERSON:
            break
        tail.append(word)
    return bool(_NEGATION.search(" ".join(reversed(tail[:6]))))


def _counts(rule: Rule, match: re.Match, text: str) -> bool:
    """Whether one match signals risk once its sentence and the entry are taken into account."""
    start, end = _sentence_bounds(text, match.start())
    sentence, prefix = text[start:end], text[start:match.start()]
    if rule.needs_first_person and not _subject_is_first_person(prefix):
        return False
    if rule.negatable and _negated(prefix):
        return False
    if _HYPERBOLE.search(sentence):
        return False
    quoted = any(a <= match.start() < b for a, b in _quoted_spans(text))
    reported = re.search(r"\b(?:goes|says|sings|line|lyrics?|chorus|about)\b", prefix) is not None
    if (quoted or reported) and _MEDIA.search(text) and not _IDENTIFIES.search(text):
        return False
    if _DISTANT_PAST.search(sentence) and _RECOVERED.search(text) and not _RELAPSE.search(text):
        return False
    return True


def matched_rules(text: str) -> list[str]:
    """The names of the risk rules that fire on ``text`` (empty when none does)."""
    normalised = text_for_rules(text)
    hits = []
    for rule in RULES:
        if any(_counts(rule, match, normalised) for match in rule.pattern.finditer(normalised)):
            hits.append(rule.name)
    return hits
