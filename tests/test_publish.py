"""`pmconsole log publish OUT`: the log as a static site, searched with Pagefind; incremental;
refused while a secret is in it; every user string escaped; nothing written outside OUT."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from conftest import NOW, run
from pmconsole.domain.model import ContributingFactor, Feedback, Incident, StepNote
from pmconsole.publish.search_index import shard_of
from pmconsole.publish.site import MANIFEST, publish, slug
from session_files import save_session

UTC = timezone.utc
HOSTILE = '<script>alert("pm")</script> & <img src=x onerror=alert(1)>'
AWS = "AKIAIOSFODNN7EXAMPLE"


def incident(title: str, tags: list[str], days_ago: int, severity: str = "SEV2") -> Incident:
    started = NOW - timedelta(days=days_ago)
    return Incident(title=title, tags=tags, severity=severity, started_at=started,
                    resolved_at=started + timedelta(hours=1))


@pytest.fixture
def log(tmp_path, make_session) -> Path:
    """Four small post-mortems and one file that cannot be read."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    sessions = {
        "checkout.toml": make_session(incident=incident(
            "Checkout database failover", ["db", "checkout", "team:payments"], 40, "SEV1"),
            summary="The walrus replica fell behind and the failover promoted it."),
        "search.toml": make_session(
            incident=incident("Search index rebuild stalled", ["search"], 20),
            summary="The zeppelin job held a lock on the index for an hour."),
        "hostile.toml": make_session(
            incident=incident(HOSTILE, ["db", "<b>tag</b>"], 10),
            feedback=[Feedback(comment="The quokka timer felt rushed")]),
        "login.toml": make_session(incident=incident("Login slow", ["auth"], 5, "SEV3")),
    }
    for name, session in sessions.items():
        save_session(folder / name, session)
    (folder / "broken.toml").write_text("incident = [\n")
    return folder


def page(out: Path, rel: str) -> str:
    return (out / rel).read_text("utf-8")


def every_page(out: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in out.rglob("*.html")
                     if "pagefind" not in p.parts)


def test_the_site_has_its_pages_escaped_and_a_search_index(log, tmp_path):
    out = tmp_path / "site"
    report = publish(log, out, now=NOW)
    assert sorted(report.rebuilt) == ["checkout.toml", "hostile.toml", "login.toml", "search.toml"]
    for rel in ["index.html", "trends.html", "site.css", "pm/checkout.html", "pm/search.html",
                "tags/db.html", "severity/SEV1.html", "teams/" + slug("team:payments") + ".html",
                f"months/{(NOW - timedelta(days=40)):%Y-%m}.html"]:
        assert (out / rel).is_file(), rel
    # One search bundle for each shard that holds a page; the index page loads the first.
    shards = sorted({shard_of(name) for name in report.rebuilt})
    assert sorted(os.listdir(out / "pagefind")) == shards == sorted(report.search_built)
    for shard in shards:
        assert list((out / "pagefind" / shard / "index").iterdir()), "Pagefind wrote no index"
    assert f'src="pagefind/{shards[0]}/pagefind-ui.js"' in page(out, "index.html")
    # Hostile text is shown, escaped, everywhere; no tag of its own reaches a page.
    everything = every_page(out)
    assert "<script>alert" not in everything and "<img src=x" not in everything
    assert "<b>tag</b>" not in everything
    assert "&lt;script&gt;alert(&#34;pm&#34;)&lt;/script&gt;" in page(out, "pm/hostile.html")
    # Filters list the right ones; unreadable files are named on the index.
    db = page(out, "tags/db.html")
    assert "Checkout database failover" in db and "&lt;script&gt;" in db and "Login slow" not in db
    index = page(out, "index.html")
    assert "broken.toml" in index and "Unreadable" in index and str(log) not in index
    # Related post-mortems: the two sharing the db tag link each other.
    assert 'href="../pm/hostile.html"' in page(out, "pm/checkout.html")
    # Self-contained: nothing loads from another host.
    assert "http://" not in index.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in everything
    # Anonymous feedback stays out unless asked for.
    assert "quokka" not in everything
    publish(log, out, now=NOW, include_feedback=True)
    assert "quokka" in page(out, "pm/hostile.html")


def test_a_second_publish_builds_only_the_changed_post_mortem(log, tmp_path, make_session):
    out = tmp_path / "site"
    publish(log, out, now=NOW, search_index=False)
    kept = out / "pm" / "checkout.html"
    before = kept.stat().st_mtime_ns
    again = publish(log, out, now=NOW, search_index=False)
    assert again.rebuilt == [] and again.kept == 4 and again.removed == []
    save_session(log / "login.toml", make_session(
        incident=incident("Login slow after a certificate rotation", ["auth"], 5)))
    (log / "search.toml").unlink()
    third = publish(log, out, now=NOW, search_index=False)
    assert third.rebuilt == ["login.toml"] and third.kept == 2
    assert "pm/search.html" in third.removed and not (out / "pm" / "search.html").exists()
    assert kept.stat().st_mtime_ns == before
    assert "certificate rotation" in page(out, "index.html")
    assert json.loads(page(out, MANIFEST))["pages"].keys() == {
        "checkout.toml", "hostile.toml", "login.toml"}


def test_one_changed_session_rewrites_only_its_page_and_its_search_bundle(
        log, tmp_path, make_session):
    out = tmp_path / "site"
    publish(log, out, now=NOW)

    def files() -> dict[str, int]:  # every file of the site, with the inode it is written to
        return {str(p.relative_to(out)): p.stat().st_ino for p in out.rglob("*") if p.is_file()}

    before = files()
    assert publish(log, out, now=NOW).search_built == []  # nothing changed: nothing built
    assert files() == before
    save_session(log / "login.toml", make_session(
        incident=incident("Login slow", ["auth"], 5, "SEV3"), summary="A retry storm."))
    report = publish(log, out, now=NOW)
    assert report.rebuilt == ["login.toml"] and report.search_built == [shard_of("login.toml")]
    after = files()
    bundle = f"pagefind/{shard_of('login.toml')}/"
    changed = {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    assert changed - {rel for rel in changed if rel.startswith(bundle)} == {
        "pm/login.html", MANIFEST}
    assert any(rel.startswith(bundle) for rel in changed)
    # A session deleted: its bundle is removed with its last page; the page that listed it as
    # related is built again, and so is that page's bundle.
    (log / "checkout.toml").unlink()
    report = publish(log, out, now=NOW)
    assert not (out / "pagefind" / shard_of("checkout.toml")).exists()
    assert report.rebuilt == ["hostile.toml"] and report.search_built == [shard_of("hostile.toml")]


def test_trends_worked_out_again_when_a_sessions_figures_change_match_a_fresh_publish(
        tmp_path, make_session):
    folder = tmp_path / "sessions"
    folder.mkdir()
    for i, title in enumerate(["Disk full", "Login slow", "Queue backlog", "Cache cold"]):
        # nothing alike, and no action due: the unchanged pages are kept as they are, and
        # their sessions taken from the manifest unparsed
        save_session(folder / f"pm-{i}.toml", make_session(
            incident=incident(title, [f"tag{i}"], 5 + i), actions=[]))
    out, fresh = tmp_path / "site", tmp_path / "fresh"
    publish(folder, out, now=NOW, search_index=False)
    save_session(folder / "pm-1.toml", make_session(  # its severity: a figure of the trends
        incident=incident("Login slow", ["tag1"], 6, "SEV1"), actions=[]))
    (folder / "pm-2.toml").unlink()
    publish(folder, out, now=NOW, search_index=False)
    publish(folder, fresh, now=NOW, search_index=False)
    assert page(out, "trends.html") == page(fresh, "trends.html")
    assert "Login slow" in page(out, "severity/SEV1.html")


def test_a_secret_blocks_publish_and_is_named_or_masked(log, tmp_path, capsys, make_session):
    save_session(log / "search.toml", make_session(
        incident=incident("Search index rebuild stalled", ["search"], 20),
        notes=[StepNote(id="5", text=f"the deploy used key {AWS} from the wiki")]))
    out = tmp_path / "site"
    code, stdout, err = run(capsys, "--sessions-dir", log, "log", "publish", out)
    assert code == 1, err
    assert f"{log / 'search.toml'}: notes 5, field text: AWS Access Key" in err
    assert AWS not in err and "--redact" in err.splitlines()[-1]
    assert not out.exists()  # nothing written
    code, stdout, err = run(capsys, "--sessions-dir", log, "log", "publish", out, "--redact")
    assert code == 0, err
    assert "4 post-mortem(s) to" in stdout and "masked" in err
    everything = every_page(out)
    assert AWS not in everything and "[redacted]" in page(out, "pm/search.html")


def test_out_is_never_a_folder_of_something_else(log, tmp_path, capsys, make_session):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for out in (foreign, log / "site", log.parent):
        code, _, err = run(capsys, "--sessions-dir", log, "log", "publish", out)
        assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert sorted(os.listdir(foreign)) == ["notes.txt"]
    # A session linked in from elsewhere is not published, and is said to be unreadable.
    elsewhere = tmp_path / "elsewhere.toml"
    (log / "login.toml").rename(elsewhere)
    (log / "login.toml").symlink_to(elsewhere)
    report = publish(log, tmp_path / "site", now=NOW, search_index=False)
    assert "login.toml" not in report.rebuilt
    assert any(name == "login.toml" and "symbolic link" in e for name, e in report.unreadable)
    # A link planted inside OUT is replaced, never written through.
    target = tmp_path / "target.html"
    target.write_text("keep")
    (tmp_path / "site" / "trends.html").unlink()
    (tmp_path / "site" / "trends.html").symlink_to(target)
    publish(log, tmp_path / "site", now=NOW, search_index=False)
    assert target.read_text() == "keep"
    # A folder of OUT turned into a link: its stale pages are not removed through it, and no
    # page is written through it.
    away = tmp_path / "away"
    away.mkdir()
    (away / "checkout.html").write_text("not the site's")
    (tmp_path / "site" / "pm" / "checkout.html").unlink()
    (tmp_path / "site" / "pm").rename(tmp_path / "pm-old")
    (tmp_path / "site" / "pm").symlink_to(away)
    for session_file in log.glob("*.toml"):
        session_file.unlink()  # every page is stale, none is written
    report = publish(log, tmp_path / "site", now=NOW, search_index=False)
    assert "pm/checkout.html" not in report.removed
    assert os.listdir(away) == ["checkout.html"]
    save_session(log / "checkout.toml", make_session())
    code, _, err = run(capsys, "--sessions-dir", log, "log", "publish", tmp_path / "site")
    assert code == 2 and "not a folder (a link?)" in err
    assert os.listdir(away) == ["checkout.html"]


CHROMIUM = "/usr/bin/chromium"


def test_the_published_site_is_searched_in_a_browser(log, tmp_path, make_session):
    """Served below a folder of the host (as GitHub Pages serves a project), searched over
    every bundle: a word from a post-mortem in any bundle finds it, its link opens it; after
    one session changed and another was deleted, the changed one is found by its new words
    and the deleted one by none."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "site"
    publish(log, out, now=NOW)
    # The four post-mortems are in three bundles: the search box merges them.
    assert len({shard_of(n) for n in ("checkout.toml", "search.toml", "login.toml")}) == 3

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/site/"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                tab = browser.new_page()
                dialogs = []
                tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

                def search(word: str) -> list[str]:
                    tab.goto(url + "index.html")
                    tab.fill(".pagefind-ui__search-input", word)
                    # done when the message counts the results ("No results", "1 result")
                    tab.locator(".pagefind-ui__message", has_text="result").wait_for(
                        timeout=20_000)
                    return tab.locator(".pagefind-ui__result-link").all_inner_texts()

                assert search("zeppelin") == ["Search index rebuild stalled"]
                assert search("walrus") == ["Checkout database failover"]
                tab.locator(".pagefind-ui__result-link").first.click()
                tab.wait_for_url(url + "pm/checkout.html")
                assert tab.locator("h1").inner_text() == "Checkout database failover"
                tab.goto(url + "pm/hostile.html")
                assert HOSTILE in tab.locator("h1").inner_text()
                tab.goto(url + "tags/db.html")
                titles = tab.locator("table.log td:nth-child(3)").all_inner_texts()
                assert sorted(titles) == sorted(["Checkout database failover", HOSTILE])

                save_session(log / "login.toml", make_session(
                    incident=incident("Login slow", ["auth"], 5, "SEV3"),
                    summary="A quasar of retries from the mobile app."))
                (log / "search.toml").unlink()
                report = publish(log, out, now=NOW)
                assert report.search_built == [shard_of("login.toml")]
                assert search("quasar") == ["Login slow"]
                assert search("zeppelin") == []
                assert search("walrus") == ["Checkout database failover"]
                assert dialogs == []  # no planted script ran
            finally:
                browser.close()
    finally:
        server.shutdown()


def test_related_post_mortems_share_tags_first_then_words_nearest_in_time_first(make_session):
    sessions = {
        "a.toml": make_session(incident=incident("Kafka consumer lag", ["kafka", "queue"], 30)),
        "b.toml": make_session(incident=incident("Consumer lag again", ["other"], 20)),
        "c.toml": make_session(incident=incident("Disk full", ["kafka"], 10)),
        "d.toml": make_session(incident=incident("Disk slow", ["kafka"], 5)),
        "e.toml": make_session(incident=incident("Nothing alike", ["dns"], 1)),
    }
    from pmconsole.publish.related import keys_of, related
    from pmconsole.publish.site import _entry

    entries = [_entry(name, s, NOW) for name, s in sessions.items()]
    links = related(entries, {e["file"]: keys_of(sessions[e["file"]], e["title"]) for e in entries})
    assert [r["title"] for r in links["a.toml"]] == ["Disk full", "Disk slow", "Consumer lag again"]
    assert links["a.toml"][2]["why"] == "consumer"  # "lag" is too short a word to count
    assert links["e.toml"] == []


def test_a_damaged_manifest_builds_every_page_again(log, tmp_path):
    out = tmp_path / "site"
    publish(log, out, now=NOW, search_index=False)
    kept = json.loads(page(out, MANIFEST))
    for damaged in ('["not", "a", "manifest"]', '{"pages": 3, "files": [7, "../x"]}', "{"):
        (out / MANIFEST).write_text(damaged)
        report = publish(log, out, now=NOW, search_index=False)
        assert len(report.rebuilt) == 4 and report.removed == []
    # A session's kept entry changed by hand, its stamp still true: the session is read again
    # when it is needed (here for its overdue days), and kept right.
    kept["sessions"]["login.toml"]["slim"] = {"incident": 5}
    (out / MANIFEST).write_text(json.dumps(kept))
    publish(log, out, now=NOW, search_index=False)
    slim = json.loads(page(out, MANIFEST))["sessions"]["login.toml"]["slim"]
    assert slim["incident"]["title"] == "Login slow"


def test_a_publish_reads_again_only_the_sessions_that_changed(log, tmp_path, make_session,
                                                             monkeypatch):
    from pmconsole.publish import catalog

    out = tmp_path / "site"
    publish(log, out, now=NOW, search_index=False)
    read: list[str] = []
    real = catalog.read_snapshot
    # broken.toml is read every time: an unreadable file is listed with its error as it is now
    monkeypatch.setattr(catalog, "read_snapshot", lambda path: (
        path.name == "broken.toml" or read.append(path.name)) and real(path) or real(path))
    assert publish(log, out, now=NOW, search_index=False).rebuilt == [] and read == []
    save_session(log / "search.toml", make_session(
        incident=incident("Search index rebuild stalled", ["search"], 20),
        summary="The zeppelin job held a lock on the index for two hours."))
    again = publish(log, out, now=NOW, search_index=False)
    assert again.rebuilt == ["search.toml"] and read == ["search.toml"]
    assert "two hours" in page(out, "pm/search.html")
    read.clear()  # the overdue days of open actions move on with the day: those pages only
    later = publish(log, out, now=NOW + timedelta(days=30), search_index=False)
    assert sorted(read) == sorted(later.rebuilt) == ["checkout.toml", "hostile.toml",
                                                     "login.toml", "search.toml"]
    read.clear()  # a new allow-list: every session scanned again
    (log / ".privacy-allow.toml").write_text('[[allow]]\nmatch = "192.0.2.10"\nreason = "docs"\n')
    publish(log, out, now=NOW + timedelta(days=30), search_index=False)
    assert sorted(read) == ["checkout.toml", "hostile.toml", "login.toml", "search.toml"]


def test_related_lists_worked_out_again_only_near_a_change_match_a_fresh_publish(
        tmp_path, make_session, monkeypatch):
    from pmconsole.publish import related

    monkeypatch.setattr(related, "RELATED_REACH", 2)  # 40 post-mortems, the reach a small part
    monkeypatch.setattr(related, "ALL_AT", 1)  # and 3 changed of 40 still worked out near them
    folder = tmp_path / "sessions"
    folder.mkdir()
    words = ["kafka lag", "disk full", "kafka disk", "dns cache", "cache lag"]
    for i in range(40):
        save_session(folder / f"pm-{i:02d}.toml", make_session(incident=incident(
            f"{words[i % 5]} {i}", [["kafka", "db", "dns"][i % 3]], 40 - i)))
    out = tmp_path / "site"
    publish(folder, out, now=NOW, search_index=False)
    save_session(folder / "pm-07.toml", make_session(incident=incident("dns cache storm", ["dns"], 3)))
    save_session(folder / "new.toml", make_session(incident=incident("kafka lag", ["kafka"], 20)))
    (folder / "pm-20.toml").unlink()
    publish(folder, out, now=NOW, search_index=False)
    fresh = tmp_path / "fresh"
    publish(folder, fresh, now=NOW, search_index=False)
    pages = sorted(p.name for p in (fresh / "pm").iterdir())
    assert len(pages) == 40
    assert [page(out, f"pm/{p}") for p in pages] == [page(fresh, f"pm/{p}") for p in pages]


def test_a_first_publish_holds_only_so_many_full_sessions(log, tmp_path, monkeypatch):
    from pmconsole.publish import catalog

    monkeypatch.setattr(catalog, "FULL_KEEP", 2)
    held: list[int] = []
    real = catalog.Catalog.done_with
    monkeypatch.setattr(catalog.Catalog, "done_with",
                        lambda self, name: held.append(len(self.full)) or real(self, name))
    report = publish(log, tmp_path / "site", now=NOW, search_index=False)
    assert len(report.rebuilt) == 4 and max(held) <= 2  # the others read again for their page
    assert "zeppelin" in page(tmp_path / "site", "pm/search.html")


def test_a_condition_that_points_at_a_person_is_said_when_its_page_is_published(
    log, tmp_path, capsys, make_session
):
    """Only people take blame out of a condition, so it is published as written, but publish
    says so, naming the post-mortem and the condition (the console's rule factors.systemic)."""
    blaming = "Sam should have noticed the failover, his mistake"
    save_session(log / "login.toml", make_session(
        incident=incident("Login slow", ["auth"], 5, "SEV3"),
        factors=[ContributingFactor(text=blaming, category="process")]))
    out = tmp_path / "site"
    code, stdout, err = run(capsys, "--sessions-dir", log, "log", "publish", out)
    assert code == 0, err
    warning = next(line for line in err.splitlines() if "points at a person" in line)
    assert "login.toml" in warning and blaming in warning and "published as written" in warning
    code, stdout, err = run(capsys, "--sessions-dir", log, "log", "publish", out)
    assert "points at a person" not in err  # said when the page is built, not every time
