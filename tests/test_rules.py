"""The method's rules: each holds on a clean session and fires, at its severity, when broken."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone


import pytest


from pmconsole.domain.model import (
    ActionItem,
    ContributingFactor,
    Evidence,
    Feedback,
    Incident,
    LearningQuestion,
    Meeting,
    Participant,
    Pause,
    Session,
    SpeakerTurn,
    StepTime,
    TimelineEvent,
)
from pmconsole.domain.rules import (
    RULES,
    Finding,
    LogFacts,
    PastSession,
    blame_phrases,
    blocks,
    check,
    check_new_action,
    findings_for_step,
    followup_review_date,
    is_measurable,
    is_question,
    meeting_day,
    next_note_taker,
    page_usage,
    reframe_hint,
    review_outside_window,
    speaker_plan,
)

UTC = timezone.utc
RESOLVED = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
MEETING = RESOLVED + timedelta(hours=60)  # 2024-03-06 22:00 UTC, 23:00 in Berlin
MEETING_DAY = date(2024, 3, 6)
NOW = MEETING + timedelta(hours=2)  # just after the meeting, never the wall clock

SPEC_RULE_IDS = {
    "schedule.window",
    "schedule.postponed",
    "meeting.duration",
    "question.one",
    "question.measurable",
    "safety.statement",
    "safety.junior_first",
    "safety.blame_pause",
    "facilitator.neutral",
    "facts.deadline",
    "facts.one_page",
    "timeline.timebox",
    "timeline.basis",
    "factors.per_event",
    "factors.systemic",
    "actions.count",
    "actions.open_limit",
    "actions.complete",
    "actions.due_window",
    "actions.vague",
    "followup.review",
    "followup.staging",
    "notes.rotation",
    "feedback.anonymous",
}


def at(minutes: int) -> datetime:
    """A moment of the meeting, minutes after it started."""
    return MEETING + timedelta(minutes=minutes)


def make_action(**overrides) -> ActionItem:
    fields = dict(
        title="Page the database on-call when replication lags",
        owner="Sam Rivera",
        due=MEETING_DAY + timedelta(days=14),
        criterion="Alert fires within 2 minutes of lag above 30 s",
    )
    fields.update(overrides)
    return ActionItem(**fields)


def make_session(**overrides) -> Session:
    """A clean session mid-meeting: every rule holds (only info findings)."""
    people = [
        Participant(id="p-fac", name="Fatima Okafor", seniority="lead", involved=False),
        Participant(id="p-note", name="Noah Berg", seniority="mid"),
        Participant(id="p-jun", name="Jun Park", seniority="junior", involved=True),
        Participant(id="p-sen", name="Sam Rivera", seniority="senior", involved=True),
    ]
    major = TimelineEvent(
        id="e-major", at=RESOLVED - timedelta(minutes=47), kind="alert",
        text="Replication lag alert fired", major=True,
    )
    minor = TimelineEvent(
        id="e-minor", at=RESOLVED - timedelta(minutes=5), kind="action",
        text="Failover to the replica completed", basis="fact",
    )
    fields = dict(
        incident=Incident(
            title="Checkout outage",
            started_at=RESOLVED - timedelta(minutes=50),
            resolved_at=RESOLVED,
            timezone="Europe/Berlin",
        ),
        meeting=Meeting(
            scheduled_at=MEETING,
            planned_minutes=75,
            current_step=5,
            facilitator="p-fac",
            note_taker="p-note",
            statement_shown_at=at(10),
            feedback_offered=True,
        ),
        question=LearningQuestion(
            text="Recovery took 47 minutes; how do we bring it to 20?", set_at=at(4)
        ),
        summary="Checkout failed for 47 minutes after a replica fell behind.",
        participants=people,
        steps=[
            StepTime(id="1", started_at=at(0), ended_at=at(3)),
            StepTime(id="2", started_at=at(3), ended_at=at(8)),
            StepTime(id="3", started_at=at(8), ended_at=at(20)),
            StepTime(id="4", started_at=at(20), ended_at=at(30)),
            StepTime(id="5", started_at=at(30)),
        ],
        speaker_turns=[
            SpeakerTurn(id="t-jun", participant_id="p-jun", planned_minutes=5),
            SpeakerTurn(id="t-sen", participant_id="p-sen", planned_minutes=7),
            SpeakerTurn(id="t-fac", participant_id="p-fac", open_round=True),
        ],
        evidence=[
            Evidence(id="ev-log", kind="log", reference="db-replica.log",
                     submitted_at=MEETING - timedelta(hours=30)),
        ],
        timeline=[major, minor],
        factors=[
            ContributingFactor(id="f-1", text="Lag alert threshold was 10 minutes",
                               category="tooling", event_ids=["e-major"]),
            ContributingFactor(id="f-2", text="Runbook had no failover step",
                               category="process", event_ids=["e-major"]),
            ContributingFactor(id="f-3", text="One on-call engineer for two systems",
                               category="staffing", event_ids=["e-major"]),
        ],
        actions=[
            make_action(id="a-1"),
            make_action(id="a-2", title="Add the failover step to the runbook",
                        criterion="Runbook rehearsed; failover done in under 10 minutes"),
            make_action(id="a-3", title="Split the database on-call rota",
                        criterion="2 people on call per week"),
            make_action(id="a-4", title="Lower the lag alert threshold",
                        criterion="Threshold at 60 seconds", status="done"),
        ],
    )
    fields.update(overrides)
    return Session(**fields)


# Three earlier post-mortems; Jun took the notes last time.
LOG = LogFacts(
    past=(
        PastSession(MEETING - timedelta(days=30), "Fatima Okafor", "Jun Park"),
        PastSession(MEETING - timedelta(days=90), "Fatima Okafor", "Sam Rivera"),
        PastSession(MEETING - timedelta(days=60), "Fatima Okafor", "Noah Berg"),
    )
)


def of(rule: str, session: Session, log: LogFacts | None = LOG, now: datetime = NOW):
    """The findings of one rule, through check() so sorting and registration are exercised."""
    return [f for f in check(session, log, now) if f.rule == rule]


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity in ("block", "warn")]


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# -- the registry and check() -----------------------------------------------------------------


def test_rules_has_exactly_the_spec_ids():
    assert set(RULES) == SPEC_RULE_IDS
    assert len(RULES) == 24


def test_clean_baseline_has_no_block_and_no_warning():
    findings = check(make_session(), LOG, NOW)
    assert blocks(findings) == []
    assert serious(findings) == []
    # Only the feedback count is left to say.
    assert [(f.rule, f.severity) for f in findings] == [("feedback.anonymous", "info")]


@pytest.mark.parametrize("rule", sorted(SPEC_RULE_IDS))
def test_every_rule_holds_on_the_baseline(rule):
    assert serious(RULES[rule](make_session(), LOG, NOW)) == []


def test_check_sorts_by_step_then_severity_then_rule():
    session = make_session(question=LearningQuestion(text="Why did it fail", set_at=at(4)))
    session.meeting.planned_minutes = 120
    session.meeting.note_taker = None
    session.actions[0].owner = ""
    findings = check(session, LOG, NOW)
    keys = [(f.step, {"block": 0, "warn": 1, "info": 2}[f.severity], f.rule) for f in findings]
    assert keys == sorted(keys)
    assert [f.rule for f in findings[:2]] == ["meeting.duration", "notes.rotation"]


def test_check_without_log_means_first_post_mortems():
    session = make_session()
    session.participants[0].involved = True
    assert [f.rule for f in blocks(check(session, None, NOW))] == ["facilitator.neutral"]


def test_check_refuses_naive_now():
    with pytest.raises(ValueError):
        check(make_session(), LOG, datetime(2024, 3, 7, 0, 0))


def test_blocks_and_findings_for_step_filter():
    session = make_session()
    session.meeting.planned_minutes = 50
    session.factors[0].category = None
    findings = check(session, LOG, NOW)
    # 50 minutes also leaves the timeline only 13 of its 15-25.
    assert [f.rule for f in blocks(findings)] == ["meeting.duration", "timeline.timebox"]
    assert [f.rule for f in findings_for_step(findings, 6)] == ["factors.systemic"]


def test_finding_as_dict():
    finding = Finding("actions.count", "warn", 7, "2 agreed.", "Agree three.", "a-1")
    assert finding.as_dict() == {
        "rule": "actions.count",
        "severity": "warn",
        "step": 7,
        "message": "2 agreed.",
        "hint": "Agree three.",
        "subject": "a-1",
    }


# -- step 1 -----------------------------------------------------------------------------------


def test_schedule_window_holds_at_exactly_72_hours():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(hours=72)
    assert of("schedule.window", session) == []


def test_schedule_window_warns_after_72_hours():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(hours=80)
    finding = one(of("schedule.window", session))
    assert (finding.severity, finding.step) == ("warn", 1)
    assert "80 h" in finding.message


def test_a_meeting_set_before_the_incident_ended_is_called_a_mistake_not_hours_after():
    from pmconsole.tui.screens.schedule import delay_verdict

    session = make_session()
    session.meeting.scheduled_at = RESOLVED - timedelta(hours=5)
    finding = one(of("schedule.window", session))
    assert finding.severity == "warn" and "before the incident ended" in finding.message
    assert "-5" not in finding.message
    verdict = delay_verdict(session)
    assert "before the incident ended" in verdict and "-5" not in verdict


def test_schedule_window_before_48_hours_is_info():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(hours=20)
    assert one(of("schedule.window", session)).severity == "info"


def test_schedule_window_without_meeting_time_is_info():
    session = make_session()
    session.meeting.scheduled_at = None
    finding = one(of("schedule.window", session))
    assert finding.severity == "info"
    assert "No meeting time" in finding.message


def test_schedule_postponed_holds_at_seven_days():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(days=7)
    assert of("schedule.postponed", session) == []
    assert one(of("schedule.window", session)).severity == "warn"


def test_schedule_postponed_blocks_after_seven_days():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(days=9)
    finding = one(of("schedule.postponed", session))
    assert (finding.severity, finding.step) == ("block", 1)
    # Beyond 7 days, only the postponement speaks.
    assert of("schedule.window", session) == []


def test_schedule_postponed_with_late_reason_is_recorded_as_info():
    session = make_session()
    session.meeting.scheduled_at = RESOLVED + timedelta(days=9)
    session.meeting.late_reason = "Half the team was at the offsite"
    finding = one(of("schedule.postponed", session))
    assert finding.severity == "info"
    assert "Half the team was at the offsite" in finding.message


@pytest.mark.parametrize("minutes", [60, 90])
def test_meeting_duration_holds_at_the_limits(minutes):
    session = make_session()
    session.meeting.planned_minutes = minutes
    assert of("meeting.duration", session) == []


@pytest.mark.parametrize("minutes", [59, 91])
def test_meeting_duration_blocks_outside_60_to_90(minutes):
    session = make_session()
    session.meeting.planned_minutes = minutes
    finding = one(of("meeting.duration", session))
    assert (finding.severity, finding.step) == ("block", 1)
    assert str(minutes) in finding.message


def test_meeting_duration_holds_with_budgets_adding_up():
    session = make_session()
    session.meeting.step_budgets = [5, 5, 10, 10, 20, 15, 10]
    assert of("meeting.duration", session) == []


def test_meeting_duration_blocks_budgets_not_adding_up():
    session = make_session()
    session.meeting.step_budgets = [5, 5, 10, 10, 20, 15, 20]
    finding = one(of("meeting.duration", session))
    assert finding.severity == "block"
    assert "85" in finding.message


def test_meeting_duration_blocks_budgets_of_wrong_length():
    session = make_session()
    session.meeting.step_budgets = [25, 25, 25]
    finding = one(of("meeting.duration", session))
    assert finding.severity == "block"
    assert "3 step budgets" in finding.message


def test_facilitator_neutral_blocks_involved_facilitator_in_first_three():
    session = make_session()
    session.meeting.facilitator = "p-sen"
    two_past = LogFacts(past=LOG.past[:2])
    finding = one(of("facilitator.neutral", session, two_past))
    assert (finding.severity, finding.step, finding.subject) == ("block", 1, "p-sen")


def test_facilitator_neutral_allows_involved_facilitator_after_three():
    session = make_session()
    session.meeting.facilitator = "p-sen"
    assert of("facilitator.neutral", session, LOG) == []


def test_facilitator_neutral_warns_without_facilitator():
    session = make_session()
    session.meeting.facilitator = None
    finding = one(of("facilitator.neutral", session))
    assert (finding.severity, finding.step) == ("warn", 1)


def test_notes_rotation_warns_when_last_note_taker_again():
    session = make_session()
    session.meeting.note_taker = "p-jun"  # Jun took the notes at the most recent one
    finding = one(of("notes.rotation", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 1, "p-jun")
    # Sam took notes 90 days ago, Noah 60: Sam is the least recent.
    assert "Sam Rivera" in finding.hint


def test_notes_rotation_matches_names_ignoring_case():
    session = make_session()
    session.meeting.note_taker = "p-jun"
    log = LogFacts(past=(PastSession(MEETING - timedelta(days=3), "", "  jun park "),))
    assert one(of("notes.rotation", session, log)).severity == "warn"


def test_notes_rotation_without_note_taker_suggests_one():
    session = make_session()
    session.meeting.note_taker = None
    finding = one(of("notes.rotation", session))
    assert finding.severity == "info"
    assert "Sam Rivera" in finding.hint


def test_next_note_taker_prefers_who_never_took_notes_and_skips_facilitator():
    session = make_session()
    session.participants.append(Participant(id="p-new", name="Ana Lima"))
    assert next_note_taker(session, LOG).id == "p-new"
    # With an empty log everyone is "never": the first non-facilitator in roster order.
    assert next_note_taker(session, LogFacts()).id == "p-note"
    assert next_note_taker(session, None).id == "p-note"


def test_next_note_taker_with_no_one_left():
    session = make_session(participants=[Participant(id="p-fac", name="Fatima Okafor")])
    assert next_note_taker(session, LOG) is None


# -- step 2 -----------------------------------------------------------------------------------


def test_question_one_blocks_without_question():
    session = make_session(question=LearningQuestion(text="  "))
    finding = one(of("question.one", session))
    assert (finding.severity, finding.step) == ("block", 2)
    assert of("question.measurable", session) == []


def test_question_one_blocks_statement_not_question():
    session = make_session(question=LearningQuestion(text="Recovery was slow", set_at=at(4)))
    finding = one(of("question.one", session))
    assert finding.severity == "block"
    assert "not phrased as a question" in finding.message


def test_question_one_blocks_two_questions():
    session = make_session(
        question=LearningQuestion(text="Why was it slow? How do we fix it?", set_at=at(4))
    )
    assert "more than one question" in one(of("question.one", session)).message


def test_question_one_blocks_question_set_after_step_3_started():
    session = make_session()
    session.question.set_at = at(9)  # step 3 started at 8
    finding = one(of("question.one", session))
    assert "before step 3" in finding.message


def test_question_one_holds_before_step_3_with_no_set_time():
    session = make_session(steps=[StepTime(id="1", started_at=at(0))])
    session.meeting.current_step = 2
    session.question.set_at = None
    assert of("question.one", session) == []


def test_question_measurable_warns_on_vague_question():
    session = make_session(
        question=LearningQuestion(text="How do we recover faster?", set_at=at(4))
    )
    finding = one(of("question.measurable", session))
    assert (finding.severity, finding.step) == ("warn", 2)


# -- step 3 -----------------------------------------------------------------------------------


def test_safety_statement_blocks_when_shown_after_step_4_started():
    session = make_session()
    session.meeting.statement_shown_at = at(25)  # step 4 started at 20
    finding = one(of("safety.statement", session))
    assert (finding.severity, finding.step) == ("block", 3)


def test_safety_statement_blocks_at_step_4_without_statement():
    session = make_session(steps=[])
    session.meeting.statement_shown_at = None
    session.meeting.current_step = 4
    assert one(of("safety.statement", session)).severity == "block"


def test_safety_statement_before_step_4_is_a_reminder():
    session = make_session(steps=[StepTime(id="3", started_at=at(8))])
    session.meeting.current_step = 3
    session.meeting.statement_shown_at = None
    assert one(of("safety.statement", session)).severity == "info"


def test_safety_junior_first_warns_when_senior_speaks_first():
    session = make_session(
        speaker_turns=[
            SpeakerTurn(id="t-sen", participant_id="p-sen", planned_minutes=5),
            SpeakerTurn(id="t-jun", participant_id="p-jun", planned_minutes=5),
        ]
    )
    finding = one(of("safety.junior_first", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 3, "t-jun")


def test_safety_junior_first_warns_one_rank_out_of_order_and_skips_skipped_turns():
    session = make_session()
    session.participants.append(Participant(id="p-mid", name="Ana Lima", seniority="mid"))
    session.speaker_turns = [
        SpeakerTurn(id="t-skip", participant_id="p-sen", skipped=True),
        SpeakerTurn(id="t-jun", participant_id="p-jun"),
        SpeakerTurn(id="t-sen", participant_id="p-sen", open_round=True),
        SpeakerTurn(id="t-mid", participant_id="p-mid", open_round=True),
    ]
    finding = one(of("safety.junior_first", session))
    assert finding.subject == "t-mid"
    assert finding.message == "Ana Lima (mid) speaks after someone more senior."


def test_safety_junior_first_lets_hosts_close_the_round_only():
    closing = make_session(
        speaker_turns=[
            SpeakerTurn(id="t-jun", participant_id="p-jun"),
            # lead, but the facilitator; mid, but the note-taker (both in the open round)
            SpeakerTurn(id="t-fac", participant_id="p-fac", open_round=True),
            SpeakerTurn(id="t-note", participant_id="p-note", open_round=True),
        ]
    )
    assert of("safety.junior_first", closing) == []
    leading = make_session(
        speaker_turns=[
            SpeakerTurn(id="t-fac", participant_id="p-fac"),
            SpeakerTurn(id="t-jun", participant_id="p-jun"),
        ]
    )
    assert one(of("safety.junior_first", leading)).subject == "t-jun"


@pytest.mark.parametrize("minutes", [4, 11])
def test_safety_junior_first_warns_turn_length(minutes):
    session = make_session()
    session.speaker_turns[1].planned_minutes = minutes
    # (11 minutes also overrun the step's budget: that finding has no subject)
    finding = one([f for f in of("safety.junior_first", session) if f.subject])
    assert (finding.severity, finding.subject) == ("warn", "t-sen")
    assert f"{minutes}-minute" in finding.message


def test_safety_blame_pause_reports_count_without_names():
    session = make_session(
        pauses=[Pause(started_at=at(40), ended_at=at(41)), Pause(started_at=at(50))]
    )
    finding = one(of("safety.blame_pause", session))
    assert (finding.severity, finding.step) == ("info", 3)
    assert finding.message == "2 blame pauses recorded."
    assert all(p.name not in finding.message for p in session.participants)


# -- step 4 -----------------------------------------------------------------------------------


def test_facts_deadline_holds_at_exactly_24_hours():
    session = make_session()
    session.evidence[0].submitted_at = MEETING - timedelta(hours=24)
    assert of("facts.deadline", session) == []


def test_facts_deadline_flags_each_late_item():
    session = make_session()
    session.evidence += [
        Evidence(id="ev-late", reference="grafana.png", kind="screenshot",
                 submitted_at=MEETING - timedelta(hours=3)),
        Evidence(id="ev-later", reference="notes", submitted_at=MEETING + timedelta(minutes=5)),
    ]
    findings = of("facts.deadline", session)
    assert [(f.severity, f.step, f.subject) for f in findings] == [
        ("warn", 4, "ev-late"),
        ("warn", 4, "ev-later"),
    ]
    assert '"grafana.png"' in findings[0].message
    assert "less than 24 h before the meeting" in findings[0].message
    assert "came in after the meeting" in findings[1].message  # not "less than 24 h before"


def test_page_usage_counts_words_and_wrapped_lines():
    assert page_usage("") == (0, 0)
    assert page_usage("one two three") == (3, 1)
    assert page_usage("a\n\nb") == (2, 3)  # the blank line counts
    assert page_usage("word " * 40) == (40, 3)  # 200 characters wrap into 3 lines of 80


def test_facts_one_page_holds_at_the_limits():
    session = make_session(summary="\n".join(["word " * 8] * 60))  # 480 words, 60 lines
    assert page_usage(session.summary) == (480, 60)
    assert of("facts.one_page", session) == []


def test_facts_one_page_blocks_too_many_words():
    session = make_session(summary="word " * 501)
    finding = one(of("facts.one_page", session))
    assert (finding.severity, finding.step) == ("block", 4)
    assert "501 words" in finding.message


def test_facts_one_page_blocks_too_many_lines():
    session = make_session(summary="x\n" * 61)
    assert "61 lines" in one(of("facts.one_page", session)).message


# -- step 5 -----------------------------------------------------------------------------------


def test_timeline_timebox_blocks_outside_15_to_25():
    session = make_session()
    session.meeting.step_budgets = [5, 5, 10, 10, 30, 10, 5]
    finding = one(of("timeline.timebox", session))
    assert (finding.severity, finding.step) == ("block", 5)
    assert "30 minutes" in finding.message


@pytest.mark.parametrize("minutes", [60, 90])
def test_timeline_timebox_holds_for_shared_budgets(minutes):
    session = make_session()
    session.meeting.planned_minutes = minutes
    assert of("timeline.timebox", session) == []


def test_timeline_basis_warns_on_interpretation_marked_fact():
    session = make_session()
    session.timeline.append(
        TimelineEvent(id="e-guess", at=RESOLVED - timedelta(minutes=30),
                      text="Probably the cache was cold", basis="fact")
    )
    finding = one(of("timeline.basis", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 5, "e-guess")
    assert "'Probably'" in finding.message


def test_timeline_basis_holds_when_marked_interpretation():
    session = make_session()
    session.timeline.append(
        TimelineEvent(id="e-guess", at=RESOLVED - timedelta(minutes=30),
                      text="I think the cache was cold", basis="interpretation")
    )
    assert of("timeline.basis", session) == []


# -- step 6 -----------------------------------------------------------------------------------


def test_factors_per_event_warns_with_too_few():
    session = make_session()
    session.factors.pop()
    finding = one(of("factors.per_event", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 6, "e-major")
    assert "2 contributing conditions" in finding.message


def test_factors_per_event_warns_with_too_many():
    session = make_session()
    session.factors += [
        ContributingFactor(text=f"Condition {n}", category="environment", event_ids=["e-major"])
        for n in range(3)
    ]
    assert "6 contributing" in one(of("factors.per_event", session)).message


def test_factors_per_event_ignores_minor_events():
    session = make_session()
    session.timeline[0].major = False
    assert of("factors.per_event", session) == []


def test_factors_systemic_warns_without_category():
    session = make_session()
    session.factors[1].category = None
    finding = one(of("factors.systemic", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 6, "f-2")


def test_factors_systemic_warns_on_a_name_and_blame_with_reframing():
    session = make_session()
    session.factors[0].text = "jun should have checked the lag"
    finding = one(of("factors.systemic", session))
    assert (finding.severity, finding.subject) == ("warn", "f-1")
    assert "jun, should have" in finding.message
    assert finding.hint == reframe_hint("should have")
    assert "instead of '… should have …'" in finding.hint


def test_blame_phrases_finds_first_names_and_phrases_as_whole_words():
    roster = ["Jun Park", "Sam Rivera"]
    assert blame_phrases("Jun should have paged SAM RIVERA", roster) == [
        "Jun", "should have", "SAM RIVERA",
    ]
    assert blame_phrases("Junction default was faulty; samples were fine", roster) == []
    assert blame_phrases("human error, who broke it, careless, blame", []) == [
        "human error", "who broke", "careless", "blame",
    ]
    # Each once, as first written; a possessive is still the name.
    assert blame_phrases("Jun's change, and jun again", roster) == ["Jun"]


def test_reframe_hint_fits_the_phrase():
    assert "human error" in reframe_hint("it was human error")
    assert "instead of '… should have …'" in reframe_hint("Sam should've known")
    assert reframe_hint("Sam did it").startswith("Describe the condition, not the person")


# -- step 7 -----------------------------------------------------------------------------------


def test_actions_count_warns_with_two():
    session = make_session()
    session.actions[2].status = "dropped"
    session.actions[3].status = "dropped"
    finding = one(of("actions.count", session))
    assert (finding.severity, finding.step) == ("warn", 7)
    assert finding.message.startswith("2 action items")


def test_actions_count_warns_with_six():
    session = make_session()
    session.actions += [make_action(id=f"a-x{n}") for n in range(2)]
    assert one(of("actions.count", session)).message.startswith("6 action items")


def test_actions_open_limit_blocks_more_than_seven_open():
    session = make_session(actions=[make_action(id=f"a-{n}") for n in range(8)])
    finding = one(of("actions.open_limit", session))
    assert (finding.severity, finding.step) == ("block", 7)


def test_actions_open_limit_holds_at_seven_open():
    session = make_session(actions=[make_action(id=f"a-{n}") for n in range(7)])
    assert of("actions.open_limit", session) == []


def test_actions_complete_blocks_each_incomplete_action():
    session = make_session()
    session.actions[0].owner = " "
    session.actions[2].due = None
    session.actions[2].criterion = ""
    findings = of("actions.complete", session)
    assert [(f.severity, f.step, f.subject) for f in findings] == [
        ("block", 7, "a-1"),
        ("block", 7, "a-3"),
    ]
    assert "no owner" in findings[0].message
    assert "no due date and no success criterion" in findings[1].message


def test_actions_complete_ignores_dropped_actions():
    session = make_session()
    session.actions[0].owner = ""
    session.actions[0].status = "dropped"
    assert of("actions.complete", session) == []


@pytest.mark.parametrize("days", [7, 21])
def test_actions_due_window_holds_at_the_limits(days):
    session = make_session()
    session.actions[0].due = MEETING_DAY + timedelta(days=days)
    assert of("actions.due_window", session) == []


@pytest.mark.parametrize("days", [6, 22])
def test_actions_due_window_blocks_outside(days):
    session = make_session()
    session.actions[1].due = MEETING_DAY + timedelta(days=days)
    finding = one(of("actions.due_window", session))
    assert (finding.severity, finding.step, finding.subject) == ("block", 7, "a-2")
    assert f"due {days} days" in finding.message


def test_actions_due_window_with_reason_is_info():
    session = make_session()
    session.actions[1].due = MEETING_DAY + timedelta(days=30)
    session.actions[1].due_reason = "Needs the vendor release"
    finding = one(of("actions.due_window", session))
    assert finding.severity == "info"
    assert "Needs the vendor release" in finding.message


def test_actions_due_window_counts_from_the_local_meeting_day():
    session = make_session()
    # 23:30 UTC is already the next day in Berlin, so the window starts a day later.
    session.meeting.scheduled_at = datetime(2024, 3, 6, 23, 30, tzinfo=UTC)
    assert meeting_day(session) == date(2024, 3, 7)
    session.actions[0].due = date(2024, 3, 13)  # 7 days after the 6th, 6 after the 7th
    assert one(of("actions.due_window", session)).subject == "a-1"


def test_actions_due_window_skipped_without_meeting_time():
    session = make_session()
    session.meeting.scheduled_at = None
    session.actions[0].due = MEETING_DAY + timedelta(days=60)
    assert of("actions.due_window", session) == []


def test_actions_vague_warns_on_vague_title_without_measure():
    session = make_session()
    session.actions[0].title = "Look into the replication lag"
    session.actions[0].criterion = "Understood"
    finding = one(of("actions.vague", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 7, "a-1")
    assert "'Look into'" in finding.message


def test_actions_vague_holds_with_measurable_criterion():
    session = make_session()
    session.actions[0].title = "Improve the lag alert"
    session.actions[0].criterion = "Alert fires within 2 minutes"
    assert of("actions.vague", session) == []


def test_is_measurable_and_is_question():
    assert is_measurable("bring it to 20")
    assert is_measurable("error rate per request")
    assert is_measurable("p95 latency")
    assert is_measurable("halve the minutes")
    assert not is_measurable("recover faster")
    assert not is_measurable("Understood by the team")
    assert is_question(" How do we recover in 20 minutes? ")
    assert not is_question("How? Why?")
    assert not is_question("Recover in 20 minutes")


# -- follow-up and wrap-up --------------------------------------------------------------------


def test_followup_staging_warns_beyond_14_days():
    session = make_session()
    session.actions[0].staging_check = MEETING_DAY + timedelta(days=15)
    finding = one(of("followup.staging", session))
    assert (finding.severity, finding.step, finding.subject) == ("warn", 7, "a-1")


def test_followup_staging_holds_at_14_days():
    session = make_session()
    session.actions[0].staging_check = MEETING_DAY + timedelta(days=14)
    assert of("followup.staging", session) == []


def test_followup_staging_warns_when_date_passed_and_still_open():
    session = make_session()
    session.actions[0].staging_check = MEETING_DAY + timedelta(days=10)
    later = MEETING + timedelta(days=12)
    finding = one(of("followup.staging", session, now=later))
    assert (finding.severity, finding.subject) == ("warn", "a-1")
    assert "has passed" in finding.message
    session.actions[0].status = "done"
    assert of("followup.staging", session, now=later) == []


def test_followup_review_date_defaults_to_two_weeks_after_the_meeting():
    session = make_session()
    assert followup_review_date(session) == date(2024, 3, 20)
    session.followup_review_at = date(2024, 3, 18)
    assert followup_review_date(session) == date(2024, 3, 18)
    session.followup_review_at = None
    session.meeting.scheduled_at = None
    assert followup_review_date(session) is None


def test_followup_review_warns_when_past_with_open_actions():
    session = make_session()
    on_the_day = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
    assert of("followup.review", session, now=on_the_day) == []
    day_after = datetime(2024, 3, 21, 12, 0, tzinfo=UTC)
    finding = one(of("followup.review", session, now=day_after))
    assert (finding.severity, finding.step) == ("warn", 8)
    assert "3 action items are still open" in finding.message


def test_followup_review_holds_when_all_closed():
    session = make_session()
    for action in session.actions:
        action.status = "done"
    assert of("followup.review", session, now=datetime(2024, 4, 30, tzinfo=UTC)) == []


def test_feedback_anonymous_not_offered():
    session = make_session()
    session.meeting.feedback_offered = False
    finding = one(of("feedback.anonymous", session))
    assert (finding.severity, finding.step) == ("info", 8)
    assert "Offer the anonymous feedback form" in finding.message


def test_feedback_anonymous_offered_without_answers_says_so():
    finding = one(of("feedback.anonymous", make_session()))
    assert "no answers yet" in finding.message


def test_feedback_anonymous_goes_once_answers_exist():
    session = make_session(feedback=[Feedback(rating=4), Feedback(comment="More time")])
    assert of("feedback.anonymous", session) == []
    # Answers mean the form was offered, whatever the flag says.
    session.meeting.feedback_offered = False
    assert of("feedback.anonymous", session) == []


@pytest.mark.parametrize("days", [1, 7, 14])
def test_a_review_date_within_14_days_after_the_meeting_fits(days):
    session = make_session()
    assert review_outside_window(session, MEETING_DAY + timedelta(days=days)) is None
    session.followup_review_at = MEETING_DAY + timedelta(days=days)
    assert of("followup.review", session) == []


@pytest.mark.parametrize("days, words", [
    (15, "15 days after the meeting"),
    (0, "on the day of the meeting"),
    (-2, "2 days before the meeting"),
])
def test_a_review_date_outside_the_window_is_named_with_the_days_that_fit(days, words):
    session = make_session()
    finding = review_outside_window(session, MEETING_DAY + timedelta(days=days))
    assert finding is not None
    assert (finding.rule, finding.step) == ("followup.review", 8)
    assert words in finding.message
    assert "2024-03-07 to 2024-03-20" in finding.hint
    # A date stored outside the window (by hand, or the meeting moved) is a finding too.
    session.followup_review_at = MEETING_DAY + timedelta(days=days)
    assert finding in of("followup.review", session)


def test_a_review_date_needs_a_meeting_date():
    session = make_session()
    session.meeting.scheduled_at = None
    finding = review_outside_window(session, MEETING_DAY + timedelta(days=7))
    assert finding is not None and "no date yet" in finding.message


# -- check_new_action -------------------------------------------------------------------------


def test_check_new_action_clean_action_passes():
    assert check_new_action(make_session(), make_action(id="a-new")) == []


def test_check_new_action_refuses_the_eighth_open():
    session = make_session(actions=[make_action(id=f"a-{n}") for n in range(7)])
    finding = one(check_new_action(session, make_action(id="a-8")))
    assert (finding.rule, finding.severity, finding.subject) == (
        "actions.open_limit", "block", "a-8",
    )


def test_check_new_action_closing_one_lets_the_next_in():
    session = make_session(actions=[make_action(id=f"a-{n}") for n in range(7)])
    session.actions[3].status = "done"
    assert check_new_action(session, make_action(id="a-8")) == []


def test_check_new_action_reopening_does_not_count_itself():
    session = make_session(actions=[make_action(id=f"a-{n}") for n in range(7)])
    assert check_new_action(session, session.actions[0]) == []


def test_check_new_action_due_in_30_days_blocks_unless_reason():
    session = make_session()
    action = make_action(id="a-new", due=MEETING_DAY + timedelta(days=30))
    finding = one(check_new_action(session, action))
    assert (finding.rule, finding.severity) == ("actions.due_window", "block")
    action.due_reason = "Waits for the Q2 hardware"
    assert blocks(check_new_action(session, action)) == []


def test_check_new_action_uses_meeting_day_argument_when_not_scheduled():
    session = make_session()
    session.meeting.scheduled_at = None
    action = make_action(id="a-new", due=date(2024, 5, 10))
    assert check_new_action(session, action, meeting_day=date(2024, 5, 1)) == []
    assert one(check_new_action(session, action, meeting_day=date(2024, 4, 1))).rule == (
        "actions.due_window"
    )


def test_check_new_action_incomplete_vague_and_late_staging():
    session = make_session()
    action = make_action(
        id="a-new", title="Investigate the cache", owner="", criterion="done",
        staging_check=MEETING_DAY + timedelta(days=20),
    )
    findings = check_new_action(session, action)
    assert [(f.rule, f.severity) for f in findings] == [
        ("actions.complete", "block"),
        ("actions.vague", "warn"),
        ("followup.staging", "warn"),
    ]


# -- step 5: the time the timeline actually got (issue 18, item 11) -------------------------


def _timeline_ran(start: int, end: int | None, pauses: list[Pause] | None = None) -> Session:
    session = make_session(pauses=pauses or [])
    session.steps[4] = StepTime(id="5", started_at=at(start),
                                ended_at=at(end) if end is not None else None)
    return session


@pytest.mark.parametrize("minutes, word", [(12, "less than 15"), (31, "more than 25")])
def test_timeline_timebox_warns_on_the_time_the_timeline_actually_got(minutes, word):
    finding = one(of("timeline.timebox", _timeline_ran(30, 30 + minutes)))
    assert (finding.severity, finding.step) == ("warn", 5)
    assert f"{minutes} minutes" in finding.message and word in finding.message


@pytest.mark.parametrize("minutes", [15, 20, 25])
def test_timeline_timebox_holds_for_15_to_25_minutes_spent(minutes):
    assert of("timeline.timebox", _timeline_ran(30, 30 + minutes)) == []


def test_timeline_timebox_says_nothing_of_the_time_spent_while_the_timeline_runs():
    # 40 minutes in, still running: the countdown shows the overtime, the rule waits.
    session = _timeline_ran(30, None)
    assert of("timeline.timebox", session, now=at(70)) == []


def test_timeline_timebox_leaves_blame_pauses_out_of_the_time_spent():
    # 30 minutes on the wall, 8 of them paused: the timeline got 22.
    pause = Pause(started_at=at(40), ended_at=at(48))
    assert of("timeline.timebox", _timeline_ran(30, 60, [pause])) == []


# -- step 3: the speaker queue fits the step (issue 18, item 8) ------------------------------


def _six_juniors(planned_minutes: int = 60) -> Session:
    """Six junior people, a lead and a senior, with the facilitator and the note-taker."""
    session = make_session()
    session.meeting.planned_minutes = planned_minutes
    session.participants += [
        Participant(id=f"p-j{i}", name=f"Junior {i}", seniority="junior") for i in range(2, 7)
    ]
    return session


def test_the_speaker_plan_times_the_junior_people_then_opens_the_round():
    plan = speaker_plan(make_session(), 5)  # one junior person, step 3 has 12 minutes
    assert [p.id for p in plan.order] == ["p-jun", "p-sen", "p-note", "p-fac"]
    assert (plan.juniors, plan.timed, plan.open_round, plan.left) == (1, 1, 3, 7)
    assert plan.fits and plan.advice(75) == ""
    assert plan.describe() == (
        "1 timed turn of 5 minutes for the junior person, then an open round for 3 people in "
        "the 7 minutes left (step 3 has 12 minutes)."
    )


def test_six_junior_turns_in_a_ten_minute_step_say_exactly_what_to_change():
    session = _six_juniors()
    assert session.step_budgets()[2] == 10
    plan = speaker_plan(session, 5)
    assert (plan.juniors, plan.timed, plan.open_round, plan.left) == (6, 2, 7, 0)
    assert not plan.fits
    assert plan.describe() == (
        "2 timed turns of 5 minutes for the junior people, then an open round for 7 people "
        "in the 0 minutes left (step 3 has 10 minutes)."
    )
    assert plan.advice(60) == (
        "6 turns of 5 minutes need 30 minutes; step 3 has 10: even a 90-minute meeting gives "
        "step 3 only 14 minutes, so give it 30 in the session's step_budgets (taken from other "
        "steps), or let 4 of the junior people speak first in the open round, as planned now."
    )


def test_the_speaker_plan_names_the_meeting_length_that_fits_when_there_is_one():
    session = _six_juniors()
    session.participants = [p for p in session.participants if p.id in ("p-jun", "p-j2")]
    plan = speaker_plan(session, 6)  # two turns of 6 minutes in a 10-minute step
    assert (plan.timed, plan.fits) == (1, False)
    assert plan.advice(60) == (
        "2 turns of 6 minutes need 12 minutes; step 3 has 10: plan the meeting for 73 minutes "
        "(step 1) to give step 3 12, or let 1 of the junior people speak first in the open "
        "round, as planned now."
    )


def test_safety_junior_first_warns_when_the_timed_turns_overrun_the_step():
    session = make_session()
    session.speaker_turns[2].open_round = False  # the facilitator timed too: 17 minutes
    finding = one([f for f in of("safety.junior_first", session) if not f.subject])
    assert finding.message == "3 timed turns need 17 minutes; step 3 has 12."
    assert "b" in finding.hint and "open round" in finding.hint


def test_every_finding_belongs_to_the_step_its_rule_is_registered_for():
    """@rule(id, step) names a rule's step once: its findings carry it, and the meeting's
    step guards (ADVANCE_GUARDS) judge a move by it."""
    from pmconsole.domain.rules import ADVANCE_GUARDS, RULE_STEPS

    busy = make_session()
    busy.meeting.scheduled_at = RESOLVED + timedelta(days=9)
    busy.meeting.planned_minutes = 200
    busy.meeting.facilitator = "p-jun"
    busy.question.text = "what? why?"
    busy.question.set_at = None
    busy.meeting.statement_shown_at = None
    busy.summary = "word " * 800
    busy.actions = [make_action(owner="", due=MEETING_DAY + timedelta(days=60)) for _ in range(9)]
    found = check(busy, LogFacts(), NOW) + check(make_session(), LOG, NOW)
    assert {f.rule for f in found} >= ADVANCE_GUARDS
    for finding in found:
        assert finding.step == RULE_STEPS[finding.rule], finding


@pytest.mark.parametrize(
    ("hours", "timing"),
    [(None, "unset"), (-5, "before"), (0, "early"), (47.9, "early"), (48, "within"),
     (72, "within"), (72.1, "late"), (168, "late"), (168.1, "postponed")],
)
def test_step_one_and_the_rules_place_the_meeting_in_the_window_alike(hours, timing):
    """Step 1's verdict and schedule.window/schedule.postponed read one window
    (method.WINDOW_EARLIEST, WINDOW_LATEST, POSTPONE_LIMIT) through rules.meeting_timing."""
    from pmconsole.domain.rules import meeting_timing
    from pmconsole.tui.screens.schedule import delay_verdict

    session = make_session()
    session.meeting.scheduled_at = None if hours is None else RESOLVED + timedelta(hours=hours)
    assert meeting_timing(session) == timing
    said = {f.severity for f in of("schedule.window", session) + of("schedule.postponed", session)}
    expected = {"unset": {"info"}, "before": {"warn"}, "early": {"info"}, "within": set(),
                "late": {"warn"}, "postponed": {"block"}}[timing]
    assert said == expected
    verdict = delay_verdict(session)
    words = {"unset": "No meeting time", "before": "before the incident ended",
             "early": "early:", "within": "window ✓", "late": "later than 72 h",
             "postponed": "more than 7 days"}
    assert words[timing] in verdict
