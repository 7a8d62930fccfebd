"""The post-mortem log: search, related incidents, the follow-up review, the rules' history."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pmconsole import cli
from pmconsole.storage.log_index import (
    LogQueryError, PostMortemLog, parse_since, query_terms, snippet, snippet_maker,
)
from pmconsole.domain.model import (
    ActionItem,
    ContributingFactor,
    Incident,
    Meeting,
    Participant,
    Session,
    TimelineEvent,
)
from pmconsole.domain.rules import check
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError, dump_session
from session_files import load_session, save_session

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORDS = ["database", "failover", "certificate", "expiry", "queue", "backlog", "dns", "cache",
         "deploy", "rollback", "quota", "latency", "kafka", "timeout", "disk", "memory"]
TAGS = ["payments", "search", "auth", "storage", "network", "billing"]


def generated_session(rng: random.Random, i: int, started: datetime) -> Session:
    a, b = rng.sample(WORDS, 2)
    note_taker = Participant(id="p-nt", name=rng.choice(["Ann", "Bo", "Cy", "Di"]))
    facilitator = Participant(id="p-f", name="Fay")
    meeting_at = started + timedelta(hours=60)
    return Session(
        incident=Incident(
            title=f"Incident {i}: {a} {b}",
            tags=rng.sample(TAGS, 2),
            started_at=started,
            resolved_at=started + timedelta(hours=2),
        ),
        meeting=Meeting(scheduled_at=meeting_at, facilitator="p-f", note_taker="p-nt"),
        participants=[facilitator, note_taker],
        summary=f"The {a} went wrong after a {b}.",
        timeline=[TimelineEvent(at=started, text=f"{a} alert fired")],
        factors=[ContributingFactor(text=f"No runbook for {b}", category="process")],
        actions=[
            ActionItem(
                title=f"Automate {b} checks {i}",
                owner="Ann",
                due=(meeting_at + timedelta(days=rng.choice([7, 14, 21]))).date(),
                criterion="Check runs every 5 minutes",
                status=rng.choice(["open", "open", "done"]),
            )
        ],
    )


@pytest.fixture
def folder(tmp_path) -> Path:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    rng = random.Random(3)
    for i in range(40):
        started = NOW - timedelta(days=5 * i + 3)
        save_session(sessions / f"pm-{i:03d}.toml", generated_session(rng, i, started))
    return sessions


def test_search_finds_by_text_tag_and_date(folder):
    log = PostMortemLog(folder)
    report = log.update()
    assert report.indexed == 40 and not report.unreadable
    hits = log.search("certificate")
    assert hits and all("certificate" in (h.title + h.snippet).lower() for h in hits)
    assert all("»" in h.snippet for h in hits if "certificate" not in h.title.lower())
    tagged = log.search(tags=("auth",))
    assert tagged and all("auth" in h.tags for h in tagged)
    since = (NOW - timedelta(days=30)).date()
    recent = log.search(since=since)
    assert recent and all(h.started_at[:10] >= since.isoformat() for h in recent)
    assert len(recent) < 40


def test_the_best_match_comes_first(folder):
    session = generated_session(random.Random(9), 99, NOW - timedelta(days=1))
    session.incident.title = "Zebra crossing outage zebra zebra"
    save_session(folder / "zebra.toml", session)
    other = generated_session(random.Random(10), 98, NOW - timedelta(days=2))
    other.summary += " A zebra was mentioned once."
    save_session(folder / "mention.toml", other)
    log = PostMortemLog(folder)
    log.update()
    hits = log.search("zebra")
    assert [Path(h.path).name for h in hits[:2]] == ["zebra.toml", "mention.toml"]


def test_touching_one_file_reindexes_only_that_file(folder):
    log = PostMortemLog(folder)
    log.update()
    assert log.update().indexed == 0
    path = folder / "pm-005.toml"
    path.write_text(path.read_text().replace("Incident 5:", "Incident 5 (renamed):"))
    report = log.update()
    assert report.indexed == 1
    assert log.search('"renamed"')[0].path == str(path)


def test_a_recent_check_can_stand_for_a_search_typed_letter_by_letter(folder):
    log = PostMortemLog(folder)
    log.update()
    session = generated_session(random.Random(11), 97, NOW - timedelta(days=1))
    session.incident.title = "Quokka outage"
    save_session(folder / "quokka.toml", session)
    assert log.update(max_age=3600).indexed == 0  # checked a moment ago: not looked at again
    assert log.search("quokka") == []
    assert log.update().indexed == 1  # a plain update always looks
    assert [Path(h.path).name for h in log.search("quokka")] == ["quokka.toml"]


@pytest.mark.parametrize(
    "query, text, expected",
    [
        # Word forms the index's stemmer matches are marked too.
        ("deploy", "The canary deploys went out; a deployed config broke it.",
         "The canary »deploys« went out; a »deployed« config broke it."),
        # A prefix query marks every word it starts; the query language's words are not terms.
        ("cert* OR NOT title:kafka", "certificates and a cert chain expired",
         "»certificates« and a »cert« chain expired"),
        # No match in the text (it was in the title): the text's beginning, cut on a word.
        ("zebra", "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
         "omicron pi rho sigma tau", "alpha beta gamma delta epsilon zeta eta theta iota kappa "
         "lambda mu nu xi…"),
    ],
)
def test_a_snippet_marks_what_matched(query, text, expected):
    assert snippet(text, query_terms(query)) == expected


def test_a_snippet_shows_where_most_matches_are():
    text = ("queue " + "filler " * 30 + "queue backlog on the queue " + "filler " * 30).strip()
    shown = snippet(text, query_terms("queue backlog"))
    assert shown.startswith("…") and shown.endswith("…")
    assert "»queue« »backlog« on the »queue«" in shown


def test_one_query_marks_each_hit_as_it_would_alone():
    """A search makes its snippets with one maker for all its hits (the pattern and each word's
    verdict worked out once); every hit's snippet is the one it would have on its own."""
    texts = [
        "Deploys were blocked; the deploy queue grew. " + "filler " * 20 + "deployed again",
        "nothing here " * 12,
        "DEPLOY deploy Deploying redeploy deployment " * 3,
        "queue " + "filler " * 30 + "queue backlog on the queue " + "filler " * 30,
    ]
    for query in ("deploy", "queue backlog", "deplo*", "queue OR deploy"):
        terms = query_terms(query)
        make = snippet_maker(terms)
        assert [make(t) for t in texts] == [snippet(t, terms) for t in reversed(texts)][::-1]
        assert any("»" in make(t) for t in texts)


def test_an_unreadable_session_is_listed_with_its_error(folder):
    (folder / "broken.toml").write_text("title = [\n")
    log = PostMortemLog(folder)
    report = log.update()
    assert [Path(p).name for p, _ in report.unreadable] == ["broken.toml"]
    listed = [h for h in log.search("database") if h.error]
    assert len(listed) == 1 and "broken.toml" in listed[0].error and "TOML" in listed[0].error


def _valid_text() -> str:
    session = generated_session(random.Random(5), 1, NOW - timedelta(days=3))
    return dump_session(session).decode("utf-8")


# Each a file the console refuses, made from a valid one; the index reads files with a faster
# TOML parser (tomli) and must still refuse each, in the console's own words.
INVALID_FILES = {
    "not TOML": lambda text: text + "\ntitle = [\n",
    "a severity the model does not know": lambda text: text.replace('"SEV2"', '"SEV9"', 1),
    "a key the model does not know": lambda text: 'colour = "red"\n' + text,
    "a time without its zone": lambda text: text.replace("+00:00", "", 1),
    "two actions with one id": lambda text: text + text[text.index("[[actions]]"):],
    # tomllib reads arrays nested 450 deep; tomli refuses them: the console's verdict holds.
    "arrays nested deeper than tomli reads": lambda text: "deep = " + "[" * 450 + "]" * 450
    + "\n" + text,
    "empty": lambda text: "",
    "no schema_version": lambda text: text.replace("schema_version = 1\n", "", 1),
}


@pytest.mark.parametrize("how", INVALID_FILES)
def test_an_invalid_session_is_listed_unreadable_with_the_consoles_own_error(how, tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    valid = _valid_text()
    (folder / "good.toml").write_text(valid)
    bad = folder / "bad.toml"
    bad.write_text(INVALID_FILES[how](valid))
    with pytest.raises(SessionFileError) as refused:
        read_snapshot(bad)  # as the console reads it
    log = PostMortemLog(folder, tmp_path / "index.sqlite")
    report = log.update()
    assert report.indexed == 1 and report.unreadable == [(str(bad), str(refused.value))]
    assert [(h.path, h.error) for h in log.search() if h.error] == [(str(bad), str(refused.value))]


def test_a_changed_file_is_read_again_and_what_it_said_before_is_forgotten(folder):
    log = PostMortemLog(folder)
    log.update()
    path = folder / "pm-007.toml"
    text = path.read_text()
    before = os.stat(path)
    # The same size, and a later time: the new words are found and the old ones are not.
    path.write_text(text.replace("Incident 7:", "Aardvark 7:"))
    assert os.stat(path).st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert log.update().indexed == 1
    assert [h.path for h in log.search("aardvark")] == [str(path)]
    assert all(h.path != str(path) for h in log.search('"Incident 7"'))
    # Unreadable now: its text and its actions leave the index with it.
    path.write_text("title = [\n")
    assert [p for p, _ in log.update().unreadable] == [str(path)]
    assert [h.path for h in log.search("aardvark") if not h.error] == []
    assert all(row.path != str(path) for row in log.actions(NOW))
    path.unlink()
    (folder / "pm-008.toml").unlink()
    report = log.update()
    assert report.removed == 2 and not report.unreadable
    counts = [log.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("files", "texts", "actions")]
    assert counts == [38, 38, 38]


def test_an_index_made_by_an_earlier_version_is_made_again(folder, tmp_path):
    import sqlite3

    index = tmp_path / "old.sqlite"
    old = sqlite3.connect(index)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
        "INSERT INTO meta VALUES ('version', '1');"
        "CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, "
        "size INTEGER NOT NULL, error TEXT NOT NULL DEFAULT '');"  # version 1's, cut short
        "CREATE VIRTUAL TABLE texts USING fts5(path UNINDEXED, title, tags, body);"
    )
    old.close()
    log = PostMortemLog(folder, index)
    assert log.update().indexed == 40
    assert log.search("certificate")


def test_the_log_index_module_imports_no_model_and_a_fresh_index_reads_no_file(folder, monkeypatch):
    # `log search` on an up-to-date index stats each file and reads none: what reads session
    # files (pydantic, the model, the rules) is imported only when one has changed.
    code = ("import sys, pmconsole.storage.log_index; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic' "
            "or m.startswith(('pmconsole.domain', 'pmconsole.storage.index_rows'))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.strip() == "[]"
    log = PostMortemLog(folder)
    log.update()
    from pmconsole.storage import index_rows

    monkeypatch.setattr(index_rows, "index_rows", lambda path: pytest.fail(f"read {path}"))
    assert log.update().indexed == 0 and log.search("certificate")


def test_actions_name_a_session_they_could_not_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PMCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
    sessions = tmp_path / "s"
    sessions.mkdir()
    (sessions / "broken.toml").write_text("title = [\n")
    assert cli.main(["actions", "--sessions-dir", str(sessions), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []  # the JSON stays clean; the warning is on stderr
    assert "unreadable, its actions not listed" in err and "broken.toml" in err


def test_a_deleted_index_is_rebuilt_with_the_same_results(folder):
    log = PostMortemLog(folder)
    log.update()
    before = [h.path for h in log.search("queue OR cache")]
    index = log.index
    log.close()
    index.unlink()
    again = PostMortemLog(folder)
    assert again.update().indexed == 40
    assert [h.path for h in again.search("queue OR cache")] == before


def test_a_search_the_index_cannot_run_is_a_clear_error(folder):
    log = PostMortemLog(folder)
    log.update()
    with pytest.raises(LogQueryError, match="quoted phrase"):
        log.search('"unbalanced')
    with pytest.raises(LogQueryError):
        parse_since("soon", NOW)
    assert parse_since("6mo", NOW) == (NOW - timedelta(days=180)).date()


def test_related_post_mortems_share_tags_or_words_within_six_months(folder):
    log = PostMortemLog(folder)
    log.update()
    mine = generated_session(random.Random(1), 500, NOW)
    mine.incident.title = "Kafka consumer lag"
    mine.incident.tags = ["billing"]
    related = log.related(mine, None, NOW)
    assert related
    half_year = (NOW - timedelta(days=183)).date().isoformat()
    for hit in related:
        assert hit.started_at[:10] >= half_year
        assert "billing" in hit.tags or "kafka" in hit.title.lower() or "kafka" in hit.snippet.lower()


def test_related_post_mortems_are_those_of_the_six_months_before_its_incident(tmp_path):
    rng = random.Random(5)
    for name, days_ago in (("within", 300), ("too-old", 420)):
        past = generated_session(rng, 1, NOW - timedelta(days=days_ago))
        past.incident.title, past.incident.tags = f"Ledger replica {name}", ["ledger"]
        save_session(tmp_path / f"{name}.toml", past)
    log = PostMortemLog(tmp_path)
    log.update()
    mine = generated_session(rng, 2, NOW - timedelta(days=200))  # held late, opened today
    mine.incident.title, mine.incident.tags = "Ledger writes stalled", ["ledger"]
    assert [Path(h.path).stem for h in log.related(mine, None, NOW)] == ["within"]


def test_actions_overdue_lists_exactly_the_overdue_open_actions(folder, monkeypatch, capsys):
    log = PostMortemLog(folder)
    log.update()
    expected = {
        r.id for r in log.actions(NOW)
        if r.status == "open" and r.due and date.fromisoformat(r.due) < NOW.date()
    }
    assert expected
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    code = cli.main(["actions", "--overdue", "--json", "--now", NOW.isoformat()])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {r["id"] for r in rows} == expected
    assert all(r["days_overdue"] > 0 and r["status"] == "open" for r in rows)


def test_actions_leave_out_dropped_ones_unless_all_are_asked_for(folder, monkeypatch, capsys):
    session = load_session(folder / "pm-001.toml")
    session.actions[0].status = "dropped"
    save_session(folder / "pm-001.toml", session)
    log = PostMortemLog(folder)
    log.update()
    rows = log.actions(NOW)
    dropped = {r.id for r in rows if r.status == "dropped"}
    assert dropped and len(dropped) < len(rows)
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    assert cli.main(["actions", "--json", "--now", NOW.isoformat()]) == 0
    shown = {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert shown == {r.id for r in rows} - dropped
    assert cli.main(["actions", "--all", "--json", "--now", NOW.isoformat()]) == 0
    assert {r["id"] for r in json.loads(capsys.readouterr().out)} == {r.id for r in rows}


def test_the_sessions_folder_can_follow_the_command_and_an_empty_answer_names_it(
    folder, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("PMCONSOLE_SESSIONS_DIR", raising=False)
    monkeypatch.setenv("PMCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path / "sessions")
    assert cli.main(["log", "search", "rollback", "--sessions-dir", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert cli.main(["--sessions-dir", str(folder), "log", "search", "zzzqqq"]) == 0
    assert capsys.readouterr().err == f"no post-mortems match in {folder}\n"
    assert cli.main(["log", "--sessions-dir", str(folder), "search", "zzzqqq"]) == 0
    assert capsys.readouterr().err == f"no post-mortems match in {folder}\n"
    missing = tmp_path / "nowhere"
    assert cli.main(["actions", "--sessions-dir", str(missing)]) == 0
    err = capsys.readouterr().err
    assert f"there is no sessions folder {missing}" in err and "--sessions-dir" in err


def test_log_search_on_the_command_line(folder, monkeypatch, capsys):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    assert cli.main(["log", "search", "rollback", "--tag", "auth", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert all("auth" in h["tags"] for h in hits)
    assert cli.main(["log", "search", '"open']) == 2
    assert "quoted phrase" in capsys.readouterr().err


def test_the_rules_take_their_history_from_the_log(folder):
    log = PostMortemLog(folder)
    log.update()
    facts = log.facts(before=NOW)
    assert len(facts.past) == sum(1 for _ in folder.glob("*.toml"))
    mine = generated_session(random.Random(2), 600, NOW - timedelta(hours=1))
    mine.participants[0].involved = True  # the facilitator was involved
    # With a long history the neutral-facilitator rule no longer applies...
    assert not [f for f in check(mine, facts, NOW) if f.rule == "facilitator.neutral"
                and f.severity == "block"]
    # ...with an empty log (one of the team's first three post-mortems) it blocks.
    first = log.facts(before=NOW - timedelta(days=1000))
    assert [f for f in check(mine, first, NOW) if f.rule == "facilitator.neutral"
            and f.severity == "block"]
    # Rotation: the same note-taker as the latest post-mortem is warned about.
    latest = max(facts.past, key=lambda p: p.meeting_at)
    mine.participants[1].name = latest.note_taker
    assert [f for f in check(mine, facts, NOW) if f.rule == "notes.rotation"]


async def test_the_follow_up_review_screen_lists_overdue_actions(folder, monkeypatch):
    from pmconsole.domain.clock import FakeClock
    from snapshot_app import console

    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    app = console(None, clock=FakeClock(wall=NOW), sessions_dir=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#review")
        log = PostMortemLog(folder)
        log.update()
        overdue = [r for r in log.actions(NOW) if r.days_overdue > 0]
        assert table.row_count == len(overdue) > 0
        assert all("days" in table.get_row_at(i)[1].plain for i in range(table.row_count))


def test_a_match_just_past_the_window_is_not_in_it():
    """The window is SNIPPET_CHARS wide: a match that far from the first is outside it, so
    the two matches further on are the closest together (a window counting it would start at
    the first)."""
    from pmconsole.storage.log_index import SNIPPET_CHARS

    text = "queue " + "x" * (SNIPPET_CHARS - 7) + " queue" + " y" * 7 + " queue" + " z" * 40
    assert text.index("queue", 1) == SNIPPET_CHARS
    shown = snippet(text, query_terms("queue"))
    assert shown.startswith("…") and shown.count("»queue«") == 2


def test_a_text_saying_a_word_very_often_is_snippeted_from_its_first_matches():
    """Past SNIPPET_MATCHES matches a text is not searched further for its window: a pair of
    matches close together late in it does not move the snippet there."""
    from pmconsole.storage.log_index import SNIPPET_CHARS, SNIPPET_MATCHES

    spaced = " ".join(["queue"] + ["x" * (SNIPPET_CHARS - 2)]) + " "
    text = spaced * (SNIPPET_MATCHES + 5) + "queue queue queue at the end"
    shown = snippet(text, query_terms("queue"))
    assert shown.startswith("»queue«") and "at the end" not in shown
    assert "at the end" in snippet(spaced * 3 + "queue queue queue at the end", query_terms("queue"))


def test_a_cold_build_on_every_core_keeps_the_same_rows_as_one_core(folder, tmp_path, monkeypatch):
    from pmconsole.storage import index_rows

    (folder / "broken.toml").write_text("incident = [\n")
    tables = ("SELECT path, error, title, tags, review_at FROM files ORDER BY path",
              "SELECT * FROM actions ORDER BY path, id", "SELECT path, body FROM texts ORDER BY path")
    one = PostMortemLog(folder, tmp_path / "one.sqlite")
    one.update()
    expected = [one.db.execute(q).fetchall() for q in tables]
    one.close()
    monkeypatch.setattr(index_rows, "POOL_FROM", 2)  # 41 files: a pool of worker processes
    started: list[int] = []
    real_pool = __import__("concurrent.futures").futures.ProcessPoolExecutor

    def counted_pool(workers, **kwargs):
        started.append(workers)
        return real_pool(workers, **kwargs)

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", counted_pool)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    pooled = PostMortemLog(folder, tmp_path / "pooled.sqlite")
    report = pooled.update()
    assert started == [2]
    assert report.indexed == 40 and [p for p, _ in report.unreadable] == [str(folder / "broken.toml")]
    assert [pooled.db.execute(q).fetchall() for q in tables] == expected
    pooled.close()


def test_a_cold_build_in_the_console_reads_on_every_core(folder, tmp_path):
    # In the console sys.stderr is Textual's capture of prints, with no file descriptor (-1);
    # the pool's first lock starts multiprocessing's resource tracker, which is handed stderr's
    # descriptor. It starts once a process, so in a process of its own. (Before, the pool did
    # not start and the Log screen said "Indexing the post-mortem log…" for ever.)
    code = f"""
import resource, sys
from pathlib import Path
from pmconsole.storage import index_rows
from pmconsole.storage.log_index import PostMortemLog

class Captured:  # as Textual's capture of prints
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1

sys.stderr = Captured()
index_rows.POOL_FROM = 2
report = PostMortemLog(Path({str(folder)!r}), Path({str(tmp_path / "index.sqlite")!r})).update(workers=2)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(report.indexed, used.ru_utime + used.ru_stime > 0)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.stdout.split() == ["40", "True"], done.stderr[-2000:]


def test_related_post_mortems_carry_their_open_actions(folder):
    log = PostMortemLog(folder)
    log.update()
    mine = generated_session(random.Random(1), 500, NOW)
    mine.incident.tags = ["billing", "auth"]
    related = log.related(mine, None, NOW)
    assert any(h.open_actions for h in related) and not all(h.open_actions for h in related)
    for hit in related:
        session = load_session(Path(hit.path))
        assert hit.open_actions == tuple(
            (a.id, a.title, a.owner, a.due.isoformat()) for a in session.actions if a.status == "open")
