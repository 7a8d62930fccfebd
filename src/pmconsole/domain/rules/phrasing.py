"""How the rules read user text, public so the UI highlights and explains with the same
words: measurable, a question, blame phrases and how to reframe them, one page.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from pmconsole.domain.method import PAGE_COLUMNS

_MEASURE = re.compile(
    r"\d|%"
    r"|\b(?:per|percent|percentage|rate|ms|milliseconds?|seconds?|secs?|minutes?|mins?"
    r"|hours?|hrs?|days?|weeks?|half|halve|twice|double|zero|two|three|four|five|six|seven"
    r"|eight|nine|ten|twenty|thirty|hundred)\b",
    re.IGNORECASE,
)

# The spec's blame phrases, whole words. "fault" alone, so "faulty disk" and "default" pass.
_BLAME = re.compile(
    r"(?<!\w)(?:fault|careless(?:ly|ness)?|should\s+have|should've|human\s+errors?"
    r"|blam(?:e|ed|es|ing)|who\s+broke)(?!\w)",
    re.IGNORECASE,
)

# Words that make a timeline entry an interpretation rather than an observation.
INTERPRETIVE = re.compile(
    r"(?<!\w)(?:probably|likely|seem(?:s|ed)?|because|should|i\s+think|maybe"
    r"|assum(?:e|es|ed|ing))(?!\w)",
    re.IGNORECASE,
)

VAGUE = re.compile(
    r"(?<!\w)(?:look(?:ing)?\s+into|improv(?:e|es|ing|ement|ements)"
    r"|investigat(?:e|es|ing|ion)|consider(?:s|ing)?)(?!\w)",
    re.IGNORECASE,
)

# The first blame phrase found decides the hint, so the example fits what was said.
_REFRAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"should\s+have|should've", re.IGNORECASE),
        "Describe the condition, not the person: 'the deploy script allowed …' "
        "instead of '… should have …'.",
    ),
    (
        re.compile(r"human\s+error", re.IGNORECASE),
        "Ask what made the slip easy to make: 'the form accepted … without a confirmation' "
        "instead of 'human error'.",
    ),
    (
        re.compile(r"careless", re.IGNORECASE),
        "Describe what made the step easy to get wrong: 'the runbook had no check for …' "
        "instead of 'careless'.",
    ),
    (
        re.compile(r"who\s+broke", re.IGNORECASE),
        "Ask what changed and what let the change through: 'the change to … passed review "
        "without …'.",
    ),
    (
        re.compile(r"fault|blam", re.IGNORECASE),
        "Name the condition that allowed it, not whose fault it was: 'nothing stopped … "
        "from …'.",
    ),
)
_REFRAME_DEFAULT = (
    "Describe the condition, not the person: name the role, the system or the step "
    "('the on-call runbook had no step for …') instead of who did it."
)


def is_measurable(text: str) -> bool:
    """Whether the text names a number, a duration, a percentage or a rate."""
    return bool(_MEASURE.search(text))


def is_question(text: str) -> bool:
    """One question, phrased as one: ends with the only question mark in it."""
    stripped = text.strip()
    return stripped.endswith("?") and stripped.count("?") == 1


def blame_phrases(text: str, roster_names: Iterable[str]) -> list[str]:
    """The blame phrases and roster names in ``text``, as first written there, in order.

    Names match case-insensitively as whole words, by full name or by first name.
    """
    names: set[str] = set()
    for name in roster_names:
        parts = name.split()
        if parts:
            names.add(" ".join(parts))
            names.add(parts[0])
    found = list(_BLAME.finditer(text))
    if names:
        # Longest first, so "Ana Lima" is found as one name, not as "Ana".
        alternatives = sorted(names, key=len, reverse=True)
        pattern = "|".join(r"\s+".join(map(re.escape, n.split())) for n in alternatives)
        found += re.finditer(rf"(?<!\w)(?:{pattern})(?!\w)", text, re.IGNORECASE)
    result: dict[str, str] = {}  # casefolded -> as first written
    for match in sorted(found, key=lambda m: m.start()):
        result.setdefault(match.group().casefold(), match.group())
    return list(result.values())


def reframe_hint(text: str) -> str:
    """How to say ``text`` as a condition instead of about a person."""
    for pattern, hint in _REFRAMES:
        if pattern.search(text):
            return hint
    return _REFRAME_DEFAULT


def page_usage(text: str) -> tuple[int, int]:
    """(words, lines) of a summary, lines as printed at 80 columns; blank lines count."""
    words = len(text.split())
    lines = 0
    for line in text.splitlines():
        lines += max(1, len(textwrap.wrap(line, PAGE_COLUMNS)))
    return words, lines
