"""Timeline importers (SPEC 6, issue 6): CSV, JSON Lines, log lines and Slack exports.

Good files for every format (the samples in tests/data/import), every kind of bad row with its
line, refusals that leave the session as it was, escape-sequence stripping, duplicates, a
100,000-line log in bounded time and memory, and hypothesis-fuzzed input that raises nothing
but ImportRefused.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmconsole.importers import (
    FORMATS,
    ImportRefused,
    ImportResult,
    RowProblem,
    detect_format,
    import_timeline,
    imported_text,
)
from pmconsole.domain.model import Incident, Session, TimelineEvent

UTC = timezone.utc
DATA = Path(__file__).parent / "data" / "import"
BAD_UTF8 = "caf\xe9 cr\xe8me".encode("latin-1")  # Latin-1, not UTF-8


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def make_session(timeline: list[TimelineEvent] | None = None, **incident: object) -> Session:
    """The incident the imports land in: Berlin time (+01:00 in November)."""
    fields: dict[str, object] = dict(
        title="Checkout outage",
        timezone="Europe/Berlin",
        started_at=utc(2026, 11, 23, 13, 50),
        resolved_at=utc(2026, 11, 23, 17, 40),
    )
    fields.update(incident)
    return Session(incident=Incident(**fields), timeline=timeline or [])


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def with_events(session: Session, events: list[TimelineEvent]) -> Session:
    """The session after a caller applied an import (the store's job, done by hand here)."""
    return Session.model_validate({**session.model_dump(), "timeline": [
        *session.model_dump()["timeline"], *(e.model_dump() for e in events)
    ]})


def check_invariants(result: ImportResult) -> None:
    assert result.rows == len(result.events) + len(result.problems) + result.duplicates
    assert [e.at for e in result.events] == sorted(e.at for e in result.events)
    for event in result.events:
        assert event.text and event.text == imported_text(event.text)
        assert event.source == imported_text(event.source)
    assert len({e.id for e in result.events}) == len(result.events)


def lines_of(result: ImportResult) -> list[int]:
    return [p.line for p in result.problems]


# -- good files --------------------------------------------------------------------------------


def test_csv_sample_kinds_sources_basis_and_mixed_zones():
    result = import_timeline(DATA / "timeline.csv", make_session())
    check_invariants(result)
    assert result.format == "csv"
    assert (result.rows, result.problems, result.duplicates) == (5, [], 0)
    got = [(e.at, e.kind, e.source, e.basis, e.major, e.text) for e in result.events]
    assert got == [
        # +01:00 and Z rows, and rows without a zone read in Berlin time, all in UTC.
        (utc(2026, 11, 23, 13, 52), "alert", "PagerDuty", "fact", True,
         "Replication lag alert fired on db-replica-2"),
        (utc(2026, 11, 23, 13, 55, 30), "action", "Jun Park", "fact", False,
         "On-call acknowledged the page"),
        (utc(2026, 11, 23, 14, 10), "decision", "Sam Rivera", "fact", True,
         "Decided to fail over to the replica after the lag passed 30 minutes"),
        # "hypothesis" and "recovered" are no kinds: observation, not a problem.
        (utc(2026, 11, 23, 14, 12, 45), "observation", "Sam Rivera", "interpretation", False,
         "The lag probably came from the nightly batch job"),
        (utc(2026, 11, 23, 17, 5), "observation", "Grafana", "fact", False,
         "Checkout error rate back to normal"),
    ]
    # One time had no zone: read in the incident's, and the summary says so (issue 20).
    assert result.summary() == (
        "csv: 5 events taken, 0 rows skipped, 0 already there; "
        "2 times without a zone read in Europe/Berlin"
    )


def test_jsonl_sample():
    result = import_timeline(DATA / "events.jsonl", make_session())
    check_invariants(result)
    assert result.format == "jsonl"
    assert (result.rows, result.problems) == (4, [])  # the blank line is no row
    got = [(e.at, e.kind, e.source, e.basis, e.text) for e in result.events]
    assert got == [
        (utc(2026, 11, 23, 13, 50), "action", "deploy-bot", "fact",
         "Deploy 4.2.1 of checkout started"),
        (datetime(2026, 11, 23, 13, 51, 0, 500000, tzinfo=UTC), "alert", "slo", "fact",
         "Error budget burn alert"),
        (utc(2026, 11, 23, 14, 0), "observation", "Noah Berg", "fact", "Status page updated"),
        (utc(2026, 11, 23, 14, 30), "observation", "", "interpretation",
         "Maybe the pool size was too small"),
    ]


def test_log_sample_iso_syslog_and_continuation_lines():
    result = import_timeline(DATA / "app.log", make_session())
    check_invariants(result)
    assert result.format == "log"
    assert (result.rows, result.problems) == (5, [])
    got = [(e.at, e.source, e.text) for e in result.events]
    assert got == [
        (utc(2026, 11, 23, 13, 51, 2), "app.log", "ERROR replication lag 45s on db-replica-2"),
        # No zone: Berlin. The traceback lines belong to this event.
        (datetime(2026, 11, 23, 13, 53, 10, 250000, tzinfo=UTC), "app.log",
         "WARNING - checkout: timeouts talking to db Traceback (most recent call last): "
         'File "checkout/db.py", line 88, in query TimeoutError: read timed out'),
        (utc(2026, 11, 23, 14, 5), "app.log", "INFO failover started"),
        # Syslog: no year (the incident's) and no zone (Berlin); the program is the source.
        (utc(2026, 11, 23, 14, 6, 12), "postgres", "promoted to primary"),
        (utc(2026, 11, 23, 14, 20), "haproxy", "backend checkout is UP"),
    ]
    assert all(e.kind == "observation" and e.basis == "fact" for e in result.events)


def test_slack_folder_sample():
    result = import_timeline(DATA / "slack-incident-4711", make_session())
    check_invariants(result)
    assert result.format == "slack"
    assert (result.rows, result.problems, result.ignored) == (5, [], 1)  # the channel join
    got = [(e.at.replace(microsecond=0), e.source, e.text) for e in result.events]
    assert got == [
        (utc(2026, 11, 23, 13, 58, 10), "Slack: Jun Park",
         "Seeing timeouts on checkout, @U03SAM can you look at the db dashboard "
         "(https://grafana.example.com/d/db)?"),
        (utc(2026, 11, 23, 14, 0), "Slack: sam", "Lag is 30 min & growing, failing over"),
        (utc(2026, 11, 23, 14, 15), "Slack: PagerDuty",
         "RESOLVED: replication lag on db-replica-2"),
        (utc(2026, 11, 23, 14, 16), "Slack: noah",
         "Status page: status.example.com updated, @here"),
        (utc(2026, 11, 24, 8, 0), "Slack: U01FATIMA",
         "Post-mortem booked for Wednesday in #incidents"),
    ]
    assert all(e.kind == "observation" for e in result.events)
    assert result.summary() == (
        "slack: 5 events taken, 0 rows skipped, 0 already there, 1 channel notice ignored"
    )


def test_slack_single_day_file():
    result = import_timeline(DATA / "slack-incident-4711" / "2026-11-23.json", make_session())
    assert result.format == "slack"
    assert len(result.events) == 4 and result.ignored == 1


@pytest.mark.parametrize(
    "header, row, expected",
    [
        # One instant written four ways.
        ("time,text", "2026-11-23T14:37:01+01:00,x", utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "2026-11-23T13:37:01Z,x", utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "2026-11-23 08:37:01-05:00,x", utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "2026-11-23 14:37:01,x", utc(2026, 11, 23, 13, 37, 1)),
        # The session's zone follows its own rules: summer time in July.
        ("time,text", "2026-07-01 12:00,x", utc(2026, 7, 1, 10, 0)),
        ("time,text", "2026-11-23T13:37:01+0000,x", utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "2026-11-23 13:37:01 UTC,x", utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "2026/11/23 14:37,x", utc(2026, 11, 23, 13, 37)),
        ("time,text", '"Mon, 23 Nov 2026 13:37:01 +0000",x', utc(2026, 11, 23, 13, 37, 1)),
        ("time,text", "1795442400,x", utc(2026, 11, 23, 14, 0)),
        ("time,text", "1795442400000,x", utc(2026, 11, 23, 14, 0)),
        # A separate date column lends its date to a time without one.
        ("Date,Time,What", "2026-11-23,14:37,x", utc(2026, 11, 23, 13, 37)),
        ("Date;Time (UTC);What", "2026-11-23;13:37Z;x", utc(2026, 11, 23, 13, 37)),
        ("When\tSummary", "2026-11-23T14:37:01+01:00\tx", utc(2026, 11, 23, 13, 37, 1)),
    ],
)
def test_csv_times_and_headers(tmp_path, header, row, expected):
    path = write(tmp_path, "t.csv", f"{header}\n{row}\n")
    result = import_timeline(path, make_session(), fmt="csv")
    assert result.problems == []
    assert [e.at for e in result.events] == [expected]


def test_mixed_zones_in_one_file_land_on_one_utc_time(tmp_path):
    path = write(tmp_path, "zones.csv", (
        "time,text\n"
        "2026-11-23T14:37:01+01:00,Alert fired\n"
        "2026-11-23T13:37:01Z,alert fired\n"
        "2026-11-23T08:37:01-05:00,Alert  fired\n"
        "2026-11-23 14:37:01,ALERT FIRED\n"
    ))
    result = import_timeline(path, make_session())
    assert len(result.events) == 1 and result.duplicates == 3
    assert result.events[0].at == utc(2026, 11, 23, 13, 37, 1)


def test_csv_semicolons_bom_crlf_and_blank_rows(tmp_path):
    content = (
        "\ufeffZeit;Time;Message;Type;Source\r\n\r\n"
        ";2026-11-23 15:00;Rollback done;action;ops\r\n;;;;\r\n"
    )
    path = write(tmp_path, "export.csv", content)
    result = import_timeline(path, make_session())
    assert result.format == "csv"
    assert [(e.at, e.kind, e.source, e.text) for e in result.events] == [
        (utc(2026, 11, 23, 14, 0), "action", "ops", "Rollback done")
    ]
    assert result.rows == 1  # blank rows are not rows


@pytest.mark.parametrize(
    "value, basis",
    [("fact", "fact"), ("Observed", "fact"), ("", "fact"), ("interp", "interpretation"),
     ("opinion", "interpretation"), ("INTERPRETATION", "interpretation"),
     ("no idea", "interpretation")],
)
def test_basis_values(tmp_path, value, basis):
    path = write(tmp_path, "b.csv", f"time,text,basis\n2026-11-23T14:00:00Z,x,{value}\n")
    assert import_timeline(path, make_session()).events[0].basis == basis


def test_yes_no_fact_column(tmp_path):
    path = write(tmp_path, "b.csv", (
        "time,text,fact\n2026-11-23T14:00:00Z,a,yes\n2026-11-23T14:01:00Z,b,no\n"
    ))
    assert [e.basis for e in import_timeline(path, make_session()).events] == [
        "fact", "interpretation"
    ]


def test_syslog_year_before_when_the_incident_is_in_january(tmp_path):
    path = write(tmp_path, "messages", (
        "Dec 31 23:59:59 db1 kernel: eth0 link down\n"
        "Jan  1 01:00:00 db1 just a host and a message\n"
    ))
    session = make_session(started_at=utc(2027, 1, 1, 0, 30), resolved_at=utc(2027, 1, 1, 2))
    result = import_timeline(path, session)
    assert [(e.at, e.source, e.text) for e in result.events] == [
        (utc(2026, 12, 31, 22, 59, 59), "kernel", "eth0 link down"),
        (utc(2027, 1, 1, 0, 0), "db1", "just a host and a message"),
    ]


def test_log_formats_at_the_start_of_a_line(tmp_path):
    path = write(tmp_path, "x.log", (
        "[2026-11-23 14:37:01] bracketed\n"
        "2026-11-23T13:38:00.123456789Z nanoseconds cut to micro\n"
        "2026-11-23 13:39:00 UTC: zone as a word\n"
        "2026/11/23 14:40:00 go log package\n"
        "2026-11-23 14:41 no seconds | pipe\n"
    ))
    result = import_timeline(path, make_session())
    assert [(e.at, e.text) for e in result.events] == [
        (utc(2026, 11, 23, 13, 37, 1), "bracketed"),
        (datetime(2026, 11, 23, 13, 38, 0, 123456, tzinfo=UTC), "nanoseconds cut to micro"),
        (utc(2026, 11, 23, 13, 39), "zone as a word"),
        (utc(2026, 11, 23, 13, 40), "go log package"),
        (utc(2026, 11, 23, 13, 41), "no seconds | pipe"),
    ]


@pytest.mark.parametrize(
    "slack, readable",
    [
        ("<@U123>", "@U123"),
        ("<@U123|sam>", "@sam"),
        ("<#C1|incidents>", "#incidents"),
        ("<!channel>", "@channel"),
        ("<!subteam^S1|@oncall>", "@oncall"),
        ("<!date^1795442400^{time}|14:00>", "14:00"),
        ("<http://x|label>", "label (http://x)"),
        ("<http://x>", "http://x"),
        ("<mailto:a@example.com|a@example.com>", "a@example.com"),
        ("a &lt;b&gt; &amp;lt;", "a <b> &lt;"),
    ],
)
def test_slack_markup_becomes_readable(tmp_path, slack, readable):
    day = [{"ts": "1795442400.000100", "text": slack, "user": "U1"}]
    path = write(tmp_path, "2026-11-23.json", json.dumps(day))
    assert import_timeline(path, make_session()).events[0].text == readable


def test_slack_author_order(tmp_path):
    profile = {"real_name": "Real", "display_name": "display"}
    day = [
        {"ts": "1795442401", "text": "a", "user": "U1", "user_name": "un", "user_profile": profile},
        {"ts": "1795442402", "text": "b", "user": "U1", "user_name": "un",
         "user_profile": {"display_name": "display", "real_name": ""}},
        {"ts": "1795442403", "text": "c", "user": "U1", "user_name": "un"},
        {"ts": "1795442404", "text": "d", "user": "U1"},
        {"ts": "1795442405", "text": "e"},
    ]
    path = write(tmp_path, "day.json", json.dumps(day))
    result = import_timeline(path, make_session())
    assert [e.source for e in result.events] == [
        "Slack: Real", "Slack: display", "Slack: un", "Slack: U1", "Slack"]


# -- bad rows ----------------------------------------------------------------------------------


def test_csv_bad_rows_have_their_line_numbers(tmp_path):
    content = b"\n".join([
        b"time,text,kind",                                      # 1
        b"2026-11-23T14:00:00Z,good one,alert",                  # 2
        b"not a time,bad time,",                                 # 3
        b",no time here,",                                       # 4
        b"2026-11-23T14:01:00Z,,",                               # 5
        b'2026-11-23T14:02:00Z,"\x1b[31m\x07",',                 # 6
        b"2026-11-23T14:03:00Z,too,many,cells",                  # 7
        b'2026-11-23T14:04:00Z,"multi',                          # 8
        b'line",action',                                         # 9
        b"14:05,time without date,",                             # 10
        b"2026-11-23,date without time,",                        # 11
        b"1960-01-01T00:00:00Z,too early,",                      # 12
        b"2026-02-30T10:00:00Z,no such day,",                    # 13
        b"2026-11-23T14:05:00Z," + BAD_UTF8 + b",",              # 14
        b'2026-11-23T14:06:00Z,"bad "quote",',                   # 15
        b"2026-11-23T14:07:00Z,last good one,",                  # 16
        b"2026-11-23T14:07:00Z,Last  GOOD one,",                 # 17 same as 16
    ]) + b"\n"
    result = import_timeline(write(tmp_path, "bad.csv", content), make_session())
    check_invariants(result)
    assert [e.text for e in result.events] == ["good one", "multi line", "last good one"]
    assert lines_of(result) == [3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15]
    messages = {p.line: p.message for p in result.problems}
    assert "'not a time' is not a date and time" in messages[3]
    assert messages[4] == "has no time"
    assert messages[5] == "has no text"
    assert "control characters" in messages[6]
    assert "4 cells but the header has 3" in messages[7]
    assert "has no date" in messages[10]
    assert "has no time of day" in messages[11]
    assert "year 1960 is out of range" in messages[12]
    assert "is not a real date and time" in messages[13]
    assert messages[14] == "is not UTF-8 text"
    assert messages[15].startswith("is not valid CSV")
    assert (result.rows, result.duplicates) == (15, 1)
    assert result.summary() == "csv: 3 events taken, 11 rows skipped, 1 already there"
    assert str(result.problems[0]).startswith("line 3: time 'not a time'")


def test_jsonl_bad_rows_have_their_line_numbers(tmp_path):
    content = b"\n".join([
        b'{"time": "2026-11-23T14:00:00Z", "text": "good"}',                     # 1
        b"{not json",                                                            # 2
        b"[1, 2]",                                                               # 3
        b'{"text": "no time"}',                                                  # 4
        b'{"time": "2026-11-23T14:01:00Z"}',                                     # 5
        b'{"time": "2026-11-23T14:02:00Z", "text": {"nested": true}}',           # 6
        b'{"time": "yesterday", "text": "bad time"}',                            # 7
        b'{"time": "2026-11-23T14:03:00Z", "text": "' + BAD_UTF8 + b'"}',        # 8
        b'{"time": "2026-11-23T14:03:00Z", "text": "\\u001b]52;c;ZXZpbA==\\u0007"}',  # 9
        b'{"time": 5, "text": "implausible unix time"}',                         # 10
        b"",                                                                     # 11
        b'{"time": "2026-11-23T14:04:00Z", "text": "good again", "kind": "nonsense"}',  # 12
        b'{"time": "2026-11-23T14:00:00.9Z", "text": "  GOOD "}',                # 13 = line 1
        b'{"time": true, "text": "a boolean is no time"}',                       # 14
        b'{"time": "2026-11-23T14:05:00Z", "text": 42}',                         # 15 number: text
    ])
    result = import_timeline(write(tmp_path, "bad.jsonl", content), make_session())
    check_invariants(result)
    assert [(e.text, e.kind) for e in result.events] == [
        ("good", "observation"), ("good again", "observation"), ("42", "observation")
    ]
    assert lines_of(result) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 14]
    messages = {p.line: p.message for p in result.problems}
    assert messages[2].startswith("is not valid JSON")
    assert messages[3] == "is not a JSON object"
    assert messages[4].startswith("has no time (looked for the keys time, timestamp, at, ")
    assert messages[4].endswith("name another with --time-field)")
    assert messages[5] == "has no text"
    assert messages[6] == "text is a JSON object, not text"
    assert "'yesterday'" in messages[7]
    assert messages[8] == "is not UTF-8 text"
    assert "control characters" in messages[9]
    assert "Unix time" in messages[10]
    assert (result.rows, result.duplicates) == (14, 1)


def test_log_bad_rows_and_continuation_lines(tmp_path):
    content = b"\n".join([
        b"orphan line before any time",                # 1 problem: nothing to continue
        b"2026-11-23T14:00:00Z first event",           # 2
        b"    continuation of first",                  # 3
        b"2026-02-30 10:00:00 impossible date",        # 4 problem
        b"    continuation of the bad row",            # 5 skipped with it, no second problem
        b"2026-11-23T14:01:00Z",                       # 6 text on the next line
        b"    text from the next line",                # 7
        b"2026-11-23T14:02:00Z   ",                    # 8 problem: no text
        b"2026-11-23T14:02:30Z " + BAD_UTF8,           # 9 problem
        b"Nov 31 10:00:00 host prog: no such day",     # 10 problem
        b"",                                           # 11 blank: nothing
        b"2026-11-23T14:03:00Z last",                  # 12
    ])
    result = import_timeline(write(tmp_path, "bad.log", content), make_session())
    check_invariants(result)
    assert [(e.at, e.text) for e in result.events] == [
        (utc(2026, 11, 23, 14, 0), "first event continuation of first"),
        (utc(2026, 11, 23, 14, 1), "text from the next line"),
        (utc(2026, 11, 23, 14, 3), "last"),
    ]
    assert lines_of(result) == [1, 4, 8, 9, 10]
    messages = {p.line: p.message for p in result.problems}
    assert "does not start with a time" in messages[1]
    assert "not a real date and time" in messages[4]
    assert messages[8] == "has no text"
    assert messages[9] == "is not UTF-8 text"
    assert "not a real date and time in 2026" in messages[10]
    assert result.rows == 8


def test_slack_bad_messages_and_a_broken_day_file(tmp_path):
    folder = tmp_path / "incident-channel"
    folder.mkdir()
    day = [
        {"ts": "1795442400.000100", "text": "fine", "user": "U1"},       # 1
        {"text": "no ts"},                                                 # 2
        {"ts": "yesterday", "text": "bad ts"},                             # 3
        {"ts": "1795442401.000100", "text": ""},                           # 4
        "not an object",                                                   # 5
        {"ts": "1795442402.000100", "subtype": "channel_leave", "text": "x left"},  # 6 ignored
        {"ts": "1795442403.000100", "text": "\x1b[2J\x1b[H"},               # 7
        {"ts": "999999999999999", "text": "far future"},                   # 8
        {"ts": "1795442400.000900", "text": "FINE"},                       # 9 duplicate of 1
    ]
    (folder / "2026-11-23.json").write_text(json.dumps(day, indent=1))
    (folder / "2026-11-24.json").write_text('[\n  {"ts": ')
    (folder / "notes.txt").write_text("not a day file: not read")
    result = import_timeline(folder, make_session())
    check_invariants(result)
    assert [e.text for e in result.events] == ["fine"]
    # The line each message starts on (json.dumps with indent=1: "[", then a line a key).
    assert [(p.where, p.line) for p in result.problems] == [
        ("2026-11-23.json", 7), ("2026-11-23.json", 10), ("2026-11-23.json", 14),
        ("2026-11-23.json", 18), ("2026-11-23.json", 24), ("2026-11-23.json", 28),
        ("2026-11-24.json", 2),
    ]
    assert result.problems[-1].message.startswith("is not valid JSON")
    assert str(result.problems[0]) == (
        '2026-11-23.json, line 7: has no usable ts (a Slack timestamp like "1700750221.000200")'
    )
    assert (result.rows, result.duplicates, result.ignored) == (9, 1, 1)


# -- refusals ----------------------------------------------------------------------------------


def _refusal_cases(tmp_path: Path) -> dict[str, tuple[Path, dict]]:
    slack_root = tmp_path / "workspace"
    (slack_root / "general").mkdir(parents=True)
    (slack_root / "channels.json").write_text("[]")
    no_days = tmp_path / "no-days"
    no_days.mkdir()
    above = tmp_path / "unpacked"  # the zip unpacked into a folder of its own
    (above / "export" / "general").mkdir(parents=True)
    (above / "export" / "channels.json").write_text("[]")
    (no_days / "readme.txt").write_text("hello")
    return {
        "missing": (tmp_path / "nope.csv", {}),
        "folder for csv": (tmp_path, {"fmt": "csv"}),
        "binary": (write(tmp_path, "b.bin", bytes(range(256)) * 8), {}),
        "nul bytes": (write(tmp_path, "p.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200)), {}),
        "invalid utf-8": (write(tmp_path, "l1.csv", b"time,text\n" + (BAD_UTF8 + b"\n") * 20), {}),
        "utf-16": (write(tmp_path, "u16.csv", "time,text\n".encode("utf-16")), {}),
        "too large": (write(tmp_path, "big.log", "2026-11-23T14:00:00Z x\n" * 100),
                      {"limit_bytes": 1000}),
        "empty": (write(tmp_path, "empty.csv", b""), {}),
        "only whitespace": (write(tmp_path, "ws.log", b"\n  \n\t\n"), {}),
        "unknown format": (write(tmp_path, "x.csv", "time,text\n2026-11-23T14:00Z,x\n"),
                           {"fmt": "xml"}),
        "every row bad": (write(tmp_path, "bad.csv", "time,text\nnope,a\nnever,b\n"), {}),
        "header only": (write(tmp_path, "h.csv", "time,text\n"), {}),
        "no header": (write(tmp_path, "nt.csv", "first,second\nx,y\n"), {"fmt": "csv"}),
        "no usable log line": (write(tmp_path, "n.log", "no time here\nnor here\n"), {}),
        "slack not json": (write(tmp_path, "s.json", '[\n{"ts": "1",\n"text": }'), {}),
        "slack not an array": (write(tmp_path, "o.json", '{"ts": "1"}'), {"fmt": "slack"}),
        "slack workspace root": (slack_root, {}),
        "slack folder without days": (no_days, {}),
        "slack export one level down": (above, {}),
        "device": (Path("/dev/null"), {}),
    }


REFUSALS = [
    "missing", "folder for csv", "binary", "nul bytes", "invalid utf-8", "utf-16", "too large",
    "empty",
    "only whitespace", "unknown format", "every row bad", "header only", "no header",
    "no usable log line", "slack not json", "slack not an array", "slack workspace root",
    "slack folder without days", "slack export one level down", "device",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_name_the_path_and_leave_the_session_alone(tmp_path, case):
    path, options = _refusal_cases(tmp_path)[case]
    session = make_session(timeline=[
        TimelineEvent(id="e-1", at=utc(2026, 11, 23, 14), text="already here")
    ])
    before = session.model_dump()
    with pytest.raises(ImportRefused) as caught:
        import_timeline(path, session, **options)
    assert str(caught.value).startswith(str(path))
    assert session.model_dump() == before


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "nope.csv: no such file or folder"),
        ("folder for csv", "is a folder; only a Slack export can be, not csv"),
        ("binary", "b.bin:2: is not UTF-8 text (binary, or another encoding)"),
        ("nul bytes", "p.png:3: contains NUL bytes: a binary file, not text"),
        ("invalid utf-8", ":2: is not UTF-8 text"),
        ("utf-16", "is UTF-16 text; save it as UTF-8"),
        ("too large", "is 2.2 KiB, over the import limit of 1000 bytes"),
        ("empty", "empty.csv: is empty"),
        ("unknown format", f"unknown format 'xml' (use one of: {', '.join(FORMATS)})"),
        ("every row bad",
         "bad.csv:2: nothing was imported: all 2 rows are bad; the first, line 2:"),
        ("header only", "nothing was imported: there is no row to import"),
        ("no header", "nt.csv:1: the first row is not a header with a time and a text column"),
        ("slack not json", "s.json:3: is not valid JSON"),
        ("slack workspace root", "is a whole Slack workspace export"),
        ("slack folder without days", "has no Slack day files (named like"),
        ("slack export one level down",
         "has no Slack day files itself; the Slack export is in {tmp}/unpacked/export: name "
         "that folder"),
    ],
)
def test_refusal_messages(tmp_path, case, expected):
    path, options = _refusal_cases(tmp_path)[case]
    with pytest.raises(ImportRefused) as caught:
        import_timeline(path, make_session(), **options)
    assert expected.format(tmp=tmp_path) in str(caught.value)


def test_refusal_when_every_row_is_bad_carries_the_problems(tmp_path):
    path = write(tmp_path, "bad.jsonl", '{"time": "x", "text": "a"}\n[]\n')
    with pytest.raises(ImportRefused) as caught:
        import_timeline(path, make_session())
    assert caught.value.line == 1
    assert [p.line for p in caught.value.problems] == [1, 2]


def test_header_naming_only_one_of_the_two_columns(tmp_path):
    path = write(tmp_path, "h.csv", "timestamp,who\n2026-11-23T14:00Z,x\n")
    with pytest.raises(ImportRefused, match="the header row has no text column"):
        import_timeline(path, make_session(), fmt="csv")


def test_a_few_bad_bytes_are_rows_not_a_refusal(tmp_path):
    path = write(tmp_path, "some.log", b"2026-11-23T14:00:00Z ok\n2026-11-23T14:01:00Z " + BAD_UTF8
                 + b"\n2026-11-23T14:02:00Z ok too\n")
    result = import_timeline(path, make_session())
    assert len(result.events) == 2 and lines_of(result) == [2]


# -- escape sequences and control characters ---------------------------------------------------


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]8;;http://evil\x07link\x1b]8;;\x07", "link"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # ST instead of BEL
        ("\x1b]52;c;ZXZpbA==\x07", ""),
        ("a\x00b\x07c", "abc"),
        ("tab\there\nnewline", "tab here newline"),
        ("  \x1b[2J\x1b[Hcleared  ", "cleared"),
        ("bare \x1b escape", "bare scape"),  # ESC e is a two-character sequence
        ("\x1bP+q544e\x1b\\dcs", "dcs"),
        ("\x9b31mC1 CSI", "C1 CSI"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("emoji 👩\u200d💻 stays", "emoji 👩\u200d💻 stays"),
        ("[bold]markup is just text[/]", "[bold]markup is just text[/]"),
    ],
)
def test_imported_text(dirty, clean):
    assert imported_text(dirty) == clean


def test_escape_sequences_are_stripped_from_text_and_source_in_every_format(tmp_path):
    text = (
        "\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 a\x00b\x07c"
        "\x1b]52;c;ZXZpbA==\x07"
    )
    source = "\x1b[1mops\x1b[0m"
    expected = ("red link abc", "ops")
    csv_path = write(
        tmp_path, "e.csv", f'time,text,source\n2026-11-23T14:00:00Z,"{text}",{source}\n'
    )
    row = {"time": "2026-11-23T14:00:00Z", "text": text, "source": source}
    jsonl_path = write(tmp_path, "e.jsonl", json.dumps(row) + "\n")
    slack_path = write(tmp_path, "e.json", json.dumps(
        [{"ts": "1795442400", "text": text, "user_profile": {"real_name": source}}]
    ))
    log_path = write(tmp_path, "e.log", f"Nov 23 15:00:00 host {source}: {text}\n")
    for path, tool in ((csv_path, ""), (jsonl_path, ""), (slack_path, "Slack: ")):
        event = import_timeline(path, make_session()).events[0]
        assert (event.text, event.source) == (expected[0], tool + expected[1]), path
    # In a syslog line the escape breaks the tag, so the whole rest is the text.
    event = import_timeline(log_path, make_session()).events[0]
    assert event.text == "ops: red link abc"


def test_problem_messages_do_not_echo_escape_sequences(tmp_path):
    path = write(
        tmp_path, "p.csv", "time,text\n\x1b]52;c;ZXZpbA==\x07\x1b[31mnope,a\n2026-11-23T14:00Z,b\n"
    )
    result = import_timeline(path, make_session())
    assert "\x1b" not in result.problems[0].message
    assert "'nope'" in result.problems[0].message


def test_long_text_is_cut(tmp_path):
    path = write(tmp_path, "long.log", "2026-11-23T14:00:00Z start\n" + "  more words\n" * 5000)
    event = import_timeline(path, make_session()).events[0]
    assert len(event.text) <= 10_000 and event.text.endswith("…")


# -- duplicates and stable ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sample", ["timeline.csv", "events.jsonl", "app.log", "slack-incident-4711"]
)
def test_importing_the_same_file_twice_adds_nothing_the_second_time(sample):
    session = make_session()
    first = import_timeline(DATA / sample, session)
    assert first.events and first.duplicates == 0
    session = with_events(session, first.events)
    second = import_timeline(DATA / sample, session)
    assert second.events == []
    assert second.duplicates == len(first.events) == second.rows
    assert f"0 rows skipped, {len(first.events)} already there" in second.summary()


def test_ids_are_stable_across_machines():
    one = import_timeline(DATA / "timeline.csv", make_session())
    two = import_timeline(DATA / "timeline.csv", make_session())
    assert [e.id for e in one.events] == [e.id for e in two.events]
    assert all(e.id.startswith("e-imp-") and len(e.id) == 22 for e in one.events)


def test_matches_hand_written_events_by_second_and_folded_text(tmp_path):
    existing = TimelineEvent(id="e-hand", at=datetime(2026, 11, 23, 14, 0, 0, 700000, tzinfo=UTC),
                             text="Failover   Started")
    path = write(tmp_path, "d.csv", "time,text\n2026-11-23T15:00:00+01:00,failover started\n"
                 "2026-11-23T15:00:01+01:00,failover started\n")
    result = import_timeline(path, make_session(timeline=[existing]))
    assert result.duplicates == 1
    assert [e.at for e in result.events] == [utc(2026, 11, 23, 14, 0, 1)]  # another second


def test_an_imported_event_edited_since_does_not_come_back(tmp_path):
    session = make_session()
    first = import_timeline(DATA / "timeline.csv", session)
    edited = [first.events[0].model_copy(update={"text": "Lag alert fired (edited)"}),
              *first.events[1:]]
    session = with_events(session, edited)
    second = import_timeline(DATA / "timeline.csv", session)
    assert second.events == [] and second.duplicates == 5


def test_applying_the_result_makes_a_valid_session():
    session = make_session()
    for sample in ("timeline.csv", "events.jsonl", "app.log", "slack-incident-4711"):
        session = with_events(session, import_timeline(DATA / sample, session).events)
    assert len(session.timeline) == 5 + 4 + 5 + 5


# -- format detection and progress -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("a.txt", "time,text\n2026-11-23T14:00Z,x\n", "csv"),
        ("a.txt", "Zeit;Time;Event\n", "csv"),
        ("a.txt", "When\tWhat\n", "csv"),
        ("a.txt", '\n{"time": 1}\n', "jsonl"),
        ("a.txt", '[\n  {"ts": "1", "text": "x"}\n]', "slack"),
        ("a.txt", "[]", "slack"),
        ("a.txt", "[2026-11-23 14:00:00] bracketed log\n", "log"),
        ("a.txt", "2026-11-23 14:00:00,123 INFO started\n", "log"),
        ("a.txt", "Nov 23 14:37:01 host prog[1]: m\n", "log"),
        ("a.csv", "no header at all\n", "csv"),  # the name decides; the import then says why
        ("a.ndjson", "garbage\n", "jsonl"),
        ("a.txt", "", "log"),
    ],
)
def test_detect_format(tmp_path, name, content, expected):
    path = write(tmp_path, name, content)
    assert detect_format(path, path.read_bytes()) == expected


def test_detect_format_of_the_samples():
    for name, fmt in [("timeline.csv", "csv"), ("events.jsonl", "jsonl"), ("app.log", "log"),
                      ("slack-incident-4711", "slack")]:
        path = DATA / name
        head = b"" if path.is_dir() else path.read_bytes()
        assert detect_format(path, head) == fmt


def test_progress_reports_bytes_every_thousand_rows(tmp_path):
    path = write(tmp_path, "p.jsonl", "".join(
        json.dumps({"time": f"2026-11-23T14:{i // 60:02d}:{i % 60:02d}Z", "text": f"r{i}"})
        + "\n"
        for i in range(3500)
    ))
    calls: list[tuple[int, int]] = []
    import_timeline(path, make_session(), progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert len(calls) == 4  # rows 1000, 2000, 3000, and the end
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(total == size for _, total in calls) and calls[-1] == (size, size)


# -- 100,000 lines -----------------------------------------------------------------------------


def test_a_30k_line_log_imports_in_bounded_time_and_memory(tmp_path):
    LINES = 30_000  # enough to show a cost that grows faster than the lines, and the memory
    start = utc(2026, 11, 23, 13, 50)
    path = tmp_path / "big.log"
    with path.open("w") as f:
        for i in range(LINES):
            at = start + timedelta(milliseconds=100 * i)
            f.write(f"{at:%Y-%m-%d %H:%M:%S},{at.microsecond // 1000:03d} INFO worker-{i % 7} "
                    f"processed request {i} in {i % 300} ms\n")
    session = make_session()

    began = time.perf_counter()
    result = import_timeline(path, session)
    elapsed = time.perf_counter() - began
    assert len(result.events) == LINES and result.problems == [] and result.duplicates == 0
    del result

    # Measured on a second run: tracemalloc makes Python several times slower.
    tracemalloc.start()
    try:
        result = import_timeline(path, session)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(result.events) == LINES
    print(f"\n{LINES:,} log lines: {elapsed:.2f} s, peak {peak / 2**20:.0f} MiB traced")
    assert elapsed < 20  # about 0.5 s on a 2-core machine; generous for noisy CI
    assert peak < 60 * 2**20  # about 27 MiB, most of it the events returned


# -- fuzzing -----------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_FORMATS = [*FORMATS, None]
SESSION = make_session(timeline=[TimelineEvent(id="e-1", at=utc(2026, 11, 23, 14), text="x")])
SESSION_DUMP = SESSION.model_dump()

times = st.sampled_from([
    "2026-11-23T14:37:01Z", "2026-11-23 14:37:01,123", "2026-11-23T14:37:01+01:00",
    "2026-02-30T10:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2026-11-23T24:00:00Z", "2026-11-23T14:37:01+99:00", "Nov 23 14:37:01", "Feb 29 10:00:00",
    "1795442400", "1795442400.000200", "99999999999999999999", "14:37", "2026-11-23",
    "Mon, 23 Nov 2026 14:37:01 +0000", "Mon, 99 Foo 2026 99:99", "",
])
words = st.one_of(times, st.text(max_size=30), st.sampled_from(
    ["alert", "fact", "interp", "\x1b]8;;x\x07", "\x1b[31m", "\x00", '"', ",", "\n", "\r"]
))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), words),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(["time", "timestamp", "@timestamp", "ts", "date", "text", "message",
                        "kind", "type", "source", "user", "basis", "major", "subtype", "text"])


def plausible(fmt: str | None) -> st.SearchStrategy[bytes]:
    """Input close to each format, so the fuzzing reaches past the first check."""
    if fmt == "csv":
        rows = st.lists(st.lists(words, max_size=6).map(lambda r: ",".join(r)), max_size=15)
        return rows.map(lambda r: "\n".join(["time,text,kind,source,basis,major", *r]).encode())
    if fmt == "log":
        lines = st.lists(st.tuples(times | st.text(max_size=5), words), max_size=20)
        return lines.map(lambda r: "\n".join(f"{t} {w}" for t, w in r).encode())
    objects = st.lists(st.dictionaries(keys, json_values, max_size=6) | json_values, max_size=15)
    if fmt == "slack":
        return objects.map(lambda o: json.dumps(o).encode())
    return objects.map(lambda o: "\n".join(json.dumps(x) for x in o).encode())


def import_or_refuse(path: Path, fmt: str | None) -> None:
    try:
        result = import_timeline(path, SESSION, fmt=fmt, limit_bytes=100_000)
    except ImportRefused as refused:
        assert str(refused).startswith(str(path))
    else:
        assert isinstance(result, ImportResult)
        check_invariants(result)
        assert all(isinstance(p, RowProblem) and p.line >= 1 for p in result.problems)
    assert SESSION.model_dump() == SESSION_DUMP


@pytest.mark.parametrize("fmt", FUZZ_FORMATS)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes(tmp_path, fmt, data):
    import_or_refuse(write(tmp_path, "fuzz.txt", data), fmt)


@pytest.mark.parametrize("fmt", FUZZ_FORMATS)
@FUZZ
@given(lines=st.lists(st.text(max_size=80), max_size=30))
def test_fuzz_arbitrary_text_lines(tmp_path, fmt, lines):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    import_or_refuse(write(tmp_path, "fuzz.txt", data), fmt)


@pytest.mark.parametrize("fmt", FUZZ_FORMATS)
@FUZZ
@given(data=st.data())
def test_fuzz_input_shaped_like_each_format(tmp_path, fmt, data):
    content = data.draw(plausible(fmt or data.draw(st.sampled_from(FORMATS))))
    import_or_refuse(write(tmp_path, "fuzz.txt", content), fmt)


@FUZZ
@given(days=st.lists(st.binary(max_size=300) | plausible("slack"), min_size=1, max_size=3))
def test_fuzz_slack_folders(tmp_path, days):
    folder = tmp_path / "channel"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for n, content in enumerate(days, 1):
        (folder / f"2026-11-{n:02d}.json").write_bytes(content)
    import_or_refuse(folder, None)
