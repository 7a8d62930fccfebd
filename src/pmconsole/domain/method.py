"""The method's numbers, named once (SPEC section 2, after the method guide): the rules judge
by them, and the screens, the command line, the help and the messages say them from here, so a
number changed here changes everywhere.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import timedelta

# Step 1: schedule promptly and limit time.
WINDOW_EARLIEST = timedelta(hours=48)  # after the incident ended
WINDOW_LATEST = timedelta(hours=72)
POSTPONE_LIMIT = timedelta(days=7)  # never later than this without a recorded reason
MEETING_MINUTES = (60, 90)
NEUTRAL_FACILITATOR_SESSIONS = 3  # the first three post-mortems of the team

# Step 3: psychological safety.
SAFETY_STEP = 3  # the step where the speaker queue runs
SPEAKER_MINUTES = (5, 10)  # each junior person's turn

# Step 4: facts shared beforehand.
EVIDENCE_LEAD = timedelta(hours=24)  # evidence is due this long before the meeting
PAGE_WORDS = 500  # one page of incident summary
PAGE_LINES = 60
PAGE_COLUMNS = 80

# Step 5: the timeline reconstruction.
TIMELINE_STEP = 5  # the step whose budget has its own time-box
TIMELINE_MINUTES = (15, 25)

# Step 6: contributing conditions per major event.
FACTORS_PER_EVENT = (3, 5)

# Step 7: actions.
ACTIONS_AGREED = (3, 5)
OPEN_LIMIT = 7  # never more action items open at once
DUE_DAYS = (7, 21)  # due this many days after the meeting
DEFAULT_DUE_DAYS = 14  # what a new action's due date is set to
STAGING_DAYS = 14  # verify a fix in staging within this many days of the meeting

# After the meeting.
FOLLOWUP_DAYS = 14  # the follow-up review, within two weeks of the meeting


def span(bounds: tuple[int, int]) -> str:
    """A range of the method as people write it: (60, 90) is "60–90"."""
    low, high = bounds
    return f"{low}–{high}"


def hours(delta: timedelta) -> int:
    """A window of the method in whole hours (48 for WINDOW_EARLIEST)."""
    return int(delta.total_seconds() // 3600)


_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def in_words(number: int) -> str:
    """A small number of the method as a sentence says it ("seven"); digits from 11 on."""
    return _WORDS[number] if 0 <= number < len(_WORDS) else str(number)


def days_in_words(days: int) -> str:
    """A number of days of the method as a sentence says it: "two weeks" for 14, "10 days"."""
    if days % 7 == 0 and days >= 14:
        return f"{in_words(days // 7)} weeks"
    return f"{days} days"


WINDOW = span((hours(WINDOW_EARLIEST), hours(WINDOW_LATEST)))  # "48–72"
FOLLOWUP = days_in_words(FOLLOWUP_DAYS)  # "two weeks"
