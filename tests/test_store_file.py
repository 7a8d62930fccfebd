"""The TOML session file: it round-trips every session, is written atomically and owner-only,
and every way of being unreadable is reported with the file and, where there is one, the line."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmconsole.domain.model import (
    SCHEMA_VERSION,
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
    StatusChange,
    StepNote,
    StepTime,
    TimelineEvent,
)
from pmconsole.storage.toml_file import (
    MAX_SESSION_BYTES,
    NewerSchemaError,
    SessionFileError,
    atomic_write,
    dump_session,
    parse_session,
)
from session_files import load_session, save_session

UTC = timezone.utc

# -- strategies: every model of model.py ------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "[bold]",
    "[@click=app.quit]x[/]",
    "[/]",
    '"""',
    "'''",
    '""""""',
    "a\n\"\"\"\nb",
    "\\",
    "\\n",
    "\\u0000",
    "C:\\temp\\new",
    "\n",
    "\n\n",
    "line one\nline two\n",
    "\r",
    "a\rb",
    "\r\n",
    "windows\r\nline endings\r\n",
    "\r\r\n\n\r",
    "\x00",
    "nul\x00inside",
    "\t",
    "\x1b[31mred\x1b[0m",
    "\x7f",
    "\u0085",
    "\u2028",
    "\ufeff",
    "# not a comment",
    "key = \"value\"",
    "x\n[incident]\ntitle = \"forged\"",
    "x\n[[timeline]]\n",
    "Ünïcødé — 事故 😀",
    "trailing backslash\n\\",
    "ends with a quote\n\"",
]

any_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",))),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=4).map("".join),
)


texts = any_text
ids = st.one_of(st.sampled_from(["a", "e-1", "[x]", '"q"', "\\", "id\nwith newline"]), texts)
zones = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-8)),
        timezone(timedelta(hours=14)),
        timezone(timedelta(hours=-3, minutes=-30, seconds=-15)),
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Pacific/Chatham"),
    ]
)
# The model accepts years 1970-2999 (model.FIRST_YEAR, LAST_YEAR); a day of margin for offsets.
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=zones
)
maybe_moment = st.none() | moments
days = st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31))
maybe_day = st.none() | days
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
small = st.integers(min_value=-1000, max_value=1000)
minutes = st.integers(min_value=1, max_value=24 * 60)  # the model's plausible bounds


def records(strategy, max_size: int = 3):
    return st.lists(strategy, max_size=max_size, unique_by=lambda r: r.id)


incidents = st.builds(
    Incident,
    title=texts,
    severity=st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"]),
    tags=st.lists(texts, max_size=4),
    started_at=moments,
    detected_at=maybe_moment,
    mitigated_at=maybe_moment,
    resolved_at=moments,
    timezone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
)
meetings = st.builds(
    Meeting,
    scheduled_at=maybe_moment,
    planned_minutes=minutes,
    step_budgets=st.lists(st.integers(min_value=0, max_value=24 * 60), max_size=8),
    current_step=st.integers(min_value=1, max_value=8),
    facilitator=st.none() | ids,
    note_taker=st.none() | ids,
    statement=texts,
    statement_shown_at=maybe_moment,
    late_reason=texts,
    started_at=maybe_moment,
    ended_at=maybe_moment,
    feedback_offered=st.booleans(),
)
questions = st.builds(LearningQuestion, text=texts, set_at=maybe_moment)
participants = st.builds(
    Participant,
    id=ids,
    name=texts,
    role=texts,
    seniority=st.sampled_from(["junior", "mid", "senior", "lead"]),
    involved=st.booleans(),
)
step_times = st.builds(
    StepTime, id=st.sampled_from([str(n) for n in range(1, 9)]), started_at=maybe_moment,
    ended_at=maybe_moment,
)
speaker_turns = st.builds(
    SpeakerTurn,
    id=ids,
    participant_id=ids,
    order=int64,
    planned_minutes=minutes,
    started_at=maybe_moment,
    ended_at=maybe_moment,
    skipped=st.booleans(),
)
pauses = st.builds(Pause, id=ids, started_at=moments, ended_at=maybe_moment)
evidence = st.builds(
    Evidence,
    id=ids,
    kind=st.sampled_from(["timeline", "log", "screenshot", "note", "link"]),
    reference=texts,
    submitted_by=texts,
    submitted_at=moments,
)
events = st.builds(
    TimelineEvent,
    id=ids,
    at=moments,
    kind=st.sampled_from(["alert", "action", "decision", "observation"]),
    text=texts,
    basis=st.sampled_from(["fact", "interpretation"]),
    major=st.booleans(),
    source=texts,
)
factors = st.builds(
    ContributingFactor,
    id=ids,
    text=texts,
    category=st.none()
    | st.sampled_from(["process", "tooling", "staffing", "communication", "environment"]),
    event_ids=st.lists(ids, max_size=3),
)
status_changes = st.builds(
    StatusChange,
    status=st.sampled_from(["open", "done", "dropped"]),
    at=moments,
    note=texts,
)
actions = st.builds(
    ActionItem,
    id=ids,
    title=texts,
    description=texts,
    owner=texts,
    due=maybe_day,
    criterion=texts,
    status=st.sampled_from(["open", "done", "dropped"]),
    history=st.lists(status_changes, max_size=3),
    factor_ids=st.lists(ids, max_size=3),
    staging_check=maybe_day,
    due_reason=texts,
)
feedback = st.builds(
    Feedback, id=ids, rating=st.none() | st.integers(min_value=1, max_value=5), comment=texts
)
step_notes = st.builds(StepNote, id=st.sampled_from([str(n) for n in range(1, 9)]), text=texts)

sessions = st.builds(
    Session,
    incident=incidents,
    meeting=meetings,
    question=questions,
    summary=texts,
    followup_review_at=maybe_day,
    participants=records(participants),
    steps=records(step_times),
    speaker_turns=records(speaker_turns),
    pauses=records(pauses),
    evidence=records(evidence),
    timeline=records(events, max_size=4),
    factors=records(factors),
    actions=records(actions),
    feedback=records(feedback, max_size=4),
    notes=records(step_notes),
)


def as_stored(session: Session) -> Session:
    """What the file holds: the same session with anonymous feedback in id order."""
    return session.model_copy(update={"feedback": sorted(session.feedback, key=lambda f: f.id)})


@settings(
    max_examples=200,
    deadline=None,
    # The autouse environment fixture is function-scoped; this test does no I/O at all.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(session=sessions)
def test_every_session_round_trips_through_the_file(session):
    data = dump_session(session)
    parsed = parse_session(data, Path("roundtrip.toml"))
    assert parsed == as_stored(session)
    # And the file is stable: writing what was read gives the same bytes.
    assert dump_session(parsed) == data


def test_round_trip_keeps_hostile_text_and_times_normalised_to_utc():
    berlin = ZoneInfo("Europe/Berlin")
    session = Session(
        incident=Incident(
            title='[@click=app.quit]x[/] """ \'\'\' \\ \x00 \x1b[31m',
            started_at=datetime(2024, 3, 4, 9, 0, tzinfo=berlin),
            resolved_at=datetime(2024, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        summary="line one\n[incident]\ntitle = \"forged\"\n\\",
        feedback=[Feedback(id="fb-b", comment="second"), Feedback(id="fb-a", rating=5)],
    )
    parsed = parse_session(dump_session(session), Path("x.toml"))
    assert parsed.incident.title == session.incident.title
    assert parsed.summary == session.summary
    assert parsed.incident.started_at == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    assert parsed.incident.started_at.utcoffset() == timedelta(0)
    assert parsed.incident.resolved_at == datetime(2024, 3, 4, 15, 30, tzinfo=UTC)
    assert [f.id for f in parsed.feedback] == ["fb-a", "fb-b"]
    assert parsed == as_stored(session)


def test_control_characters_never_reach_the_file_or_the_screen():
    # Text a person typed or pasted keeps its words; control characters and terminal
    # sequences (NUL, ESC [31m, OSC links) are dropped by the model, so no file, screen or
    # export ever carries them. Tab and newline stay; a carriage return becomes a newline.
    session = Session(
        incident=Incident(
            title="nul\x00here \x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07",
            started_at=datetime(2024, 3, 4, 9, tzinfo=UTC),
            resolved_at=datetime(2024, 3, 4, 10, tzinfo=UTC),
        ),
        summary="two\nlines\x00\tand\r\na tab",
    )
    assert session.incident.title == "nulhere red link"
    assert session.summary == "two\nlines\tand\na tab"
    data = dump_session(session)
    assert b"\x00" not in data and b"\x1b" not in data
    parsed = parse_session(data, Path("x.toml"))
    assert parsed == session


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_creates_owner_only_file_and_no_temp_file(tmp_path):
    path = tmp_path / "s.toml"
    old = os.umask(0)  # even with a permissive umask
    try:
        atomic_write(path, b"schema_version = 1\n")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"schema_version = 1\n"
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_atomic_write_replaces_content_and_tightens_mode(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"old content that is longer than the new one\n")
    path.chmod(0o644)
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_atomic_write_failure_keeps_old_content_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_bytes(b"old\n")

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        atomic_write(path, b"new\n")
    monkeypatch.undo()
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_save_session_on_existing_file_keeps_0600(tmp_path, make_session):
    path = tmp_path / "s.toml"
    save_session(path, make_session())
    assert mode(path) == 0o600
    changed = make_session(summary="A new summary.")
    save_session(path, changed)
    assert mode(path) == 0o600
    assert load_session(path) == changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# -- unreadable files ---------------------------------------------------------------------------


def line_of(text: str, start: str) -> int:
    """The 1-based number of the only line of ``text`` that starts with ``start``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


@pytest.fixture
def good_text(make_session) -> str:
    return dump_session(make_session()).decode("utf-8")


def load_error(path: Path, content: str | bytes) -> SessionFileError:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    err = info.value
    assert str(path) in str(err)
    assert err.path == path
    return err


def assert_line(err: SessionFileError, path: Path, line: int) -> None:
    assert err.line == line
    assert str(err).startswith(f"{path}:{line}: ")


def test_not_toml_names_the_line(tmp_path, good_text):
    lines = good_text.splitlines()
    lines.insert(3, "this is not toml at all")
    path = tmp_path / "s.toml"
    err = load_error(path, "\n".join(lines) + "\n")
    assert "not valid TOML" in str(err)
    assert_line(err, path, 4)


def line_in_table(text: str, header: str, start: str) -> int:
    """The line starting with ``start`` in the table that opens with the line ``header``."""
    lines = text.splitlines()
    first = line_of(text, header)
    for number in range(first + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.startswith("["):
            break
        if line.startswith(start):
            return number
    raise AssertionError(f"no {start!r} in {header}")


def test_wrong_type_names_the_field_and_its_line(tmp_path, good_text):
    number = line_in_table(good_text, "[meeting]", "planned_minutes = ")
    lines = good_text.splitlines()
    lines[number - 1] = 'planned_minutes = "long"'
    path = tmp_path / "s.toml"
    err = load_error(path, "\n".join(lines) + "\n")
    assert "meeting.planned_minutes" in str(err)
    assert_line(err, path, number)


def test_wrong_type_in_a_list_of_records_names_the_record_and_its_line(tmp_path, good_text):
    text = good_text.replace('kind = "action"', 'kind = "rumour"')
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert "timeline.1.kind" in str(err)
    assert_line(err, path, line_of(text, 'kind = "rumour"'))


def test_missing_required_field_names_it_and_its_table(tmp_path, good_text):
    text = good_text.replace('title = "Checkout outage"\n', "")
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert "incident.title" in str(err)
    assert "Field required" in str(err)
    assert_line(err, path, line_of(text, "[incident]"))


def test_no_schema_version(tmp_path, good_text):
    text = good_text.replace(f"schema_version = {SCHEMA_VERSION}\n", "")
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert "schema_version" in str(err)
    assert not isinstance(err, NewerSchemaError)


def test_newer_schema_version_is_refused(tmp_path, good_text):
    text = good_text.replace(f"schema_version = {SCHEMA_VERSION}", "schema_version = 99")
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert isinstance(err, NewerSchemaError)
    assert "99" in str(err)
    assert "read-only" in str(err)


@pytest.mark.parametrize("content", ["", "\n", "   \n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "s.toml"
    err = load_error(path, content)
    assert "empty" in str(err)


def test_a_directory(tmp_path):
    path = tmp_path / "s.toml"
    path.mkdir()
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert str(path) in str(info.value)
    assert "folder" in str(info.value)


def test_a_missing_file(tmp_path):
    path = tmp_path / "nothing-here.toml"
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert str(path) in str(info.value)
    assert "no such file" in str(info.value)


def test_invalid_utf8_names_the_line_of_the_bad_byte(tmp_path, good_text):
    number = line_of(good_text, "summary = ")
    lines = good_text.encode("utf-8").split(b"\n")
    lines[number - 1] = b'summary = "caf\xe9 latin-1"'
    path = tmp_path / "s.toml"
    err = load_error(path, b"\n".join(lines))
    assert "UTF-8" in str(err)
    assert_line(err, path, number)


def test_naive_datetime_asks_for_a_time_zone_offset(tmp_path, good_text):
    number = line_in_table(good_text, "[incident]", "started_at = ")
    lines = good_text.splitlines()
    lines[number - 1] = "started_at = 2024-03-04T09:10:00"
    path = tmp_path / "s.toml"
    err = load_error(path, "\n".join(lines) + "\n")
    assert "incident.started_at" in str(err)
    assert "needs a time zone offset" in str(err)
    assert_line(err, path, number)


def test_a_file_too_large_is_refused_before_reading(tmp_path):
    path = tmp_path / "s.toml"
    with open(path, "wb") as f:
        f.truncate(MAX_SESSION_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert str(path) in str(info.value)
    assert "64 MiB" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path, good_text):
    path = tmp_path / "s.toml"
    path.write_text(good_text)
    path.chmod(0)
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    assert str(path) in str(info.value)
    assert "permission denied" in str(info.value)


def test_datetime_out_of_range_in_utc_is_a_clear_error(tmp_path, good_text):
    number = line_in_table(good_text, "[incident]", "started_at = ")
    lines = good_text.splitlines()
    lines[number - 1] = "started_at = 9999-12-31T23:00:00-05:00"
    path = tmp_path / "s.toml"
    err = load_error(path, "\n".join(lines) + "\n")
    assert "incident.started_at" in str(err)
    assert_line(err, path, number)


def test_error_line_is_not_fooled_by_table_headers_inside_text(tmp_path, make_session):
    session = make_session(summary="Notes pasted from the old tracker:\n[incident]\nsee above")
    text = dump_session(session).decode("utf-8").replace('title = "Checkout outage"\n', "")
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert "incident.title" in str(err)
    real_header = [n for n, line in enumerate(text.splitlines(), 1) if line == "[incident]"][-1]
    assert_line(err, path, real_header)


def test_error_in_an_action_history_names_its_own_line(tmp_path, make_session, make_action):
    history = [
        StatusChange(status="open", at=datetime(2024, 3, 6, 23, tzinfo=UTC), note="agreed"),
        StatusChange(status="done", at=datetime(2024, 3, 12, 9, tzinfo=UTC), note="shipped"),
    ]
    session = make_session(actions=[make_action(id="a-1", status="done", history=history)])
    text = dump_session(session).decode("utf-8")
    bad = "2024-03-12 09:00:00+00:00"
    assert text.count(bad) == 1
    text = text.replace(bad, "2024-03-12T09:00:00")  # naive: no offset
    number = next(n for n, line in enumerate(text.splitlines(), 1) if "2024-03-12T09:00:00" in line)
    path = tmp_path / "s.toml"
    err = load_error(path, text)
    assert "actions.0.history.1.at" in str(err)
    assert_line(err, path, number)


# -- newer files, read-only -----------------------------------------------------------------------


def test_newer_file_with_unknown_fields_opens_with_allow_newer(tmp_path, good_text):
    text = good_text.replace(f"schema_version = {SCHEMA_VERSION}", "schema_version = 2")
    text = "future_top_level = true\n" + text
    text = text.replace("[incident]\n", '[incident]\nmood = "calm"\n')
    text = text.replace("[[timeline]]\n", "[[timeline]]\nconfidence = 0.5\n", 1)
    text += '\n[future_table]\nanswer = 42\n'
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(NewerSchemaError):
        load_session(path)
    session = load_session(path, allow_newer=True)
    assert session.incident.title == "Checkout outage"
    assert [e.id for e in session.timeline] == ["e-major", "e-minor"]
    assert [a.id for a in session.actions] == ["a-1", "a-2", "a-3"]
    assert session.schema_version == SCHEMA_VERSION
    assert path.read_text(encoding="utf-8") == text  # reading never rewrites
