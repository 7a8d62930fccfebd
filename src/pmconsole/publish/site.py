"""`pmconsole log publish OUT`: the post-mortem log as a static site any static host serves.

OUT holds an index (with the unreadable session files listed), one page per post-mortem, a page
per tag, severity, team and month (the filters, readable with JavaScript off), a trends page
with inline SVG charts, and Pagefind's search index in bundles (search_index.py: its binary,
from the `pagefind[bin]` package, is run once the pages are written). Nothing loads from
elsewhere.

Incremental: OUT keeps a manifest (MANIFEST) of what each post-mortem page was built from; a
page is rendered again only when that changes (its session, its related post-mortems, the
templates, its overdue days). A session whose file and live log are unchanged is not read again
(catalog.py keeps what the lists need of it). A list page (index, filters) is rendered only when
what it lists changed, the trends only when a session's figures or a day changed, and a search
bundle is built again only when a page in it changed. Nothing is read back to be compared: the
manifest's keys say what changed.

Safe by construction: every page is a Jinja2 template with autoescape on; every file name is
made from a slug of [a-z0-9-]; nothing is written outside OUT, nor through a link planted in
it; OUT is refused when it is not a folder this command made (or an empty one). Before
anything is written every text is scanned (privacy.py): a finding not on the allow-list
refuses the publish, or is masked with ``redact``. Anonymous feedback is left out unless
``include_feedback``.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from datetime import datetime
from importlib import resources
from pathlib import Path

from pydantic_core import from_json, to_json

from pmconsole.domain.model import STEP_NAMES, WRAP_UP, Session, format_duration
from pmconsole.domain.rules import followup_review_date
from pmconsole.domain.rules.phrasing import blame_phrases
from pmconsole.domain.trends import month_of, trends
from pmconsole.domain.actions import days_overdue
from pmconsole.exporters.common import paragraphs_of
from pmconsole.publish import charts
from pmconsole.publish.catalog import Catalog, scan_key
from pmconsole.publish.related import keys_of, related, touched
from pmconsole.publish.privacy import ALLOW_FILE, PrivacyFinding, read_allow_list
from pmconsole.publish.search_index import Builds, bundle_paths, plan as search_plan
from pmconsole.publish.site_folder import MANIFEST, PublishError, SiteFolder, check_out
from pmconsole.publish.progress import progress_counts, progress_rows
from pmconsole.storage import locations

BUILD_VERSION = 1  # raise it when the pages change in a way the templates' hash does not show
TEAM_PREFIX = "team:"  # a tag "team:payments" names the team that held the post-mortem
SITE_TITLE = "Post-mortem log"
STATIC = ("site.css", "search.js")


class PrivacyRefused(Exception):
    """Secrets or personal data found that no allow-list entry covers."""

    def __init__(self, findings: list[PrivacyFinding]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} finding(s)")


@dataclass
class PublishReport:
    out: Path
    rebuilt: list[str] = field(default_factory=list)  # session file names whose page was built
    # Conditions on the pages built that point at a person (the method's rule factors.systemic):
    # published as written, since only people can take blame out, but said.
    blame: list[str] = field(default_factory=list)
    kept: int = 0  # post-mortem pages that had not changed
    removed: list[str] = field(default_factory=list)  # files of OUT no longer part of the site
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    redacted: int = 0  # sessions published with matches masked
    search_built: list[str] = field(default_factory=list)  # search bundles built (by shard)


def slug(text: str) -> str:
    """A file name of [a-z0-9-] for any text; a text that is not already one gets a few hex
    digits of its hash, so two texts never share a name ("A" and "a", "c++" and "c")."""
    plain = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    if plain == text and plain:
        return plain
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return f"{plain}-{digest}" if plain else digest


# -- what a page shows ---------------------------------------------------------------------------


def _paragraphs_of(text: str) -> list[str]:
    """Text as the page's paragraphs: the exporters' paragraphs, each one line."""
    return [" ".join(lines) for lines in paragraphs_of(text)]


def _when(session: Session, moment: datetime | None) -> str:
    return session.local(moment).strftime("%Y-%m-%d %H:%M") if moment else "not set"


def _tag_link(tag: str) -> dict:
    if tag.startswith(TEAM_PREFIX):
        return {"name": tag.removeprefix(TEAM_PREFIX), "href": f"teams/{slug(tag)}.html"}
    return {"name": tag, "href": f"tags/{slug(tag)}.html"}


def _entry(name: str, session: Session, now: datetime) -> dict:
    """What the lists show of one post-mortem."""
    inc = session.incident
    return {
        "file": name,
        "slug": slug(Path(name).stem),
        "title": inc.title or "Untitled incident",
        "severity": inc.severity,
        "started": _when(session, inc.started_at)[:10],
        "started_at": inc.started_at.isoformat(),
        "month": month_of(session),
        "tags": [_tag_link(t) for t in inc.tags if not t.startswith(TEAM_PREFIX)],
        "teams": [t for t in inc.tags if t.startswith(TEAM_PREFIX)],
        "open_actions": len(session.open_actions()),
    }


def _page_view(entry: dict, session: Session, now: datetime, include_feedback: bool) -> dict:
    """Everything one post-mortem page shows, but its timeline drawing (made only when the
    page is built)."""
    inc = session.incident
    today = session.local(now).date()
    events = [
        {"time": _when(session, e.at), "kind": e.kind, "text": e.text, "basis": e.basis,
         "major": e.major, "source": e.source}
        for e in session.sorted_timeline()
    ]
    groups: dict[str, list[str]] = {}
    for f in session.factors:
        groups.setdefault(f.category or "uncategorised", []).append(f.text)
    actions = []
    for a in session.actions:
        overdue = days_overdue(a, today)
        actions.append({
            "title": a.title, "description": a.description, "owner": a.owner,
            "due": a.due.isoformat() if a.due else "", "criterion": a.criterion,
            "status": a.status, "overdue": overdue,
            "history": [{"day": _when(session, h.at)[:10], "status": h.status, "note": h.note}
                        for h in a.history],
        })
    review = followup_review_date(session)
    teams = entry["teams"]
    return {
        **entry,
        "team": _tag_link(teams[0]) if teams else None,
        "started_day": entry["started"],
        "year": entry["started"][:4],
        "span": f"{_when(session, inc.started_at)} to {_when(session, inc.resolved_at)}",
        "zone": inc.timezone,
        "meeting": _when(session, session.meeting.scheduled_at),
        "question": _paragraphs_of(session.question.text),
        "summary": _paragraphs_of(session.summary),
        "durations": [(k, format_duration(v)) for k, v in session.durations().items()],
        "events": events,
        "factors": sorted(groups.items()),
        "actions": actions,
        "notes": [(_step_name(n.id), _paragraphs_of(n.text))
                  for n in sorted(session.notes, key=lambda n: n.id) if n.text.strip()],
        "followup": (f"Follow-up review of the actions: {review.isoformat()}." if review
                     else "No follow-up review is set."),
        "review": _review_view(session, now),
        "feedback": [f.model_dump(include={"rating", "comment", "unsaid"})
                     for f in session.feedback] if include_feedback else None,
    }


def _review_view(session: Session, now: datetime) -> dict | None:
    """The two-week review's progress (as its report shows it), once the review is held."""
    if session.followup_review_held is None:
        return None
    rows = progress_rows(session, now)
    return {"held": session.followup_review_held.isoformat(), "rows": rows,
            "counts": progress_counts(rows)}


def _step_name(step_id: str) -> str:
    number = int(step_id) if step_id.isdigit() else 0
    if 1 <= number <= len(STEP_NAMES):
        return f"Step {number}: {STEP_NAMES[number - 1]}"
    return "Wrap-up" if number == WRAP_UP else f"Step {step_id}"


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, default=str, sort_keys=True).encode("utf-8")).hexdigest()


def _template_hash(env) -> str:
    digest = hashlib.sha256(str(BUILD_VERSION).encode())
    for name in sorted(env.list_templates()):
        digest.update(name.encode())
        digest.update(env.loader.get_source(env, name)[0].encode("utf-8"))
    return digest.hexdigest()


@cache
def _environment():
    """The site's templates, made once a process; compiled ones kept between runs."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("pmconsole.publish", "templates"),
        autoescape=True,  # every user string escaped, in every template
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        bytecode_cache=_compiled_templates(),
    )


def _compiled_templates():
    """Jinja's own cache of compiled templates (written to a temporary file, then renamed into
    place), in the user's cache folder: a publish of one change, a process of its own, does not
    compile the pages' templates again (~30 ms). None when the folder cannot be made."""
    from jinja2 import FileSystemBytecodeCache

    folder = locations.cache_dir() / "site-templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder), "%s.cache")


def publish(
    folder: Path,
    out: Path,
    *,
    now: datetime,
    redact: bool = False,
    include_feedback: bool = False,
    search_index: bool = True,
) -> PublishReport:
    """Publish the log of ``folder`` into ``out``. Raises PrivacyRefused (nothing written)
    or PublishError."""
    from markupsafe import Markup

    from pmconsole.exporters.html import timeline_svg  # escapes every text it draws

    folder, out = Path(folder), Path(out)
    check_out(out, folder)
    env = _environment()
    templates = _template_hash(env)
    try:
        kept_bytes = (out / MANIFEST).read_bytes()
        manifest = from_json(kept_bytes)
    except (OSError, ValueError):
        kept_bytes, manifest = b"", None
    if not isinstance(manifest, dict):  # none yet, or not one of ours: build every page
        manifest = {}
    old_pages = manifest.get("pages") if manifest.get("templates") == templates else None
    old_pages = old_pages if isinstance(old_pages, dict) else {}  # new templates: all pages
    old_files = [f for f in manifest.get("files") or [] if isinstance(f, str)]

    allowed = read_allow_list(folder / ALLOW_FILE)
    scanned_as = scan_key(folder / ALLOW_FILE, templates, redact, include_feedback)
    cache = manifest.get("sessions") if manifest.get("scanned_as") == scanned_as else None
    log = Catalog(folder, cache if isinstance(cache, dict) else {}, allowed=allowed,
                  redact=redact, include_feedback=include_feedback)
    if log.refused and not redact:
        raise PrivacyRefused(log.refused)
    report = PublishReport(out=out)

    out.mkdir(mode=0o755, parents=True, exist_ok=True)
    site = SiteFolder(out)
    # What the lists show of an unchanged session, and what relates it to others, are kept.
    entries = sorted((log.cached[n]["entry"] if n in log.cached else _entry(n, log.slims[n], now)
                      for n in log.slims), key=lambda e: e["started_at"], reverse=True)
    keys = {e["file"]: log.cached[e["file"]]["keys"] if e["file"] in log.cached
            else keys_of(log.slims[e["file"]], e["title"]) for e in entries}
    before = {n: (k.get("keys"), k.get("started")) for n, k in log.previous.items()
              if isinstance(k, dict)}
    near = touched(entries, keys, before)
    links = {n: log.previous[n]["links"] for n in log.cached if near is not None
             and n not in near and isinstance(log.previous[n].get("links"), list)}
    links.update(related(entries, keys, only={e["file"] for e in entries} - links.keys()))
    common = {"site_title": SITE_TITLE}

    def full(name: str) -> Session | None:
        session = log.read(name)  # kept unchanged since it was last scanned, or just read
        if log.refused and not redact:
            raise PrivacyRefused(log.refused)
        return session

    pages: dict[str, str] = {}
    view_keys: dict[str, str] = {}
    for e in entries:
        name, view = e["file"], None
        view_key = log.view_key(name, now)
        if view_key is None:
            if (session := full(name)) is None:
                continue  # unreadable since the lists were made: listed as such
            view = _page_view(e, session, now, include_feedback)
            view_key = _digest([templates, view, redact, include_feedback])
        view_keys[name] = view_key
        unchanged = name in log.cached and view_key == log.cached[name].get("view") and (
            links[name] is log.previous[name].get("links"))  # its related list was kept
        key = old_pages.get(name) if unchanged else None
        key = key if isinstance(key, str) else _digest([view_key, links[name]])
        rel = f"pm/{e['slug']}.html"
        pages[name] = key
        if old_pages.get(name) == key and site.has(rel):
            site.written.add(rel)
            report.kept += 1
            continue
        if (session := full(name)) is None:
            continue
        view = view or _page_view(e, session, now, include_feedback)
        view["timeline_svg"] = Markup(timeline_svg(session))
        html = env.get_template("postmortem.html").render(
            pm=view, related=links[name], root="../", **common)
        site.write(rel, html.encode("utf-8"))
        report.rebuilt.append(name)
        names = [p.name for p in session.participants]
        report.blame += [f"{name}: the condition “{f.text}” points at a person "
                         f"({', '.join(found)})" for f in session.factors
                         if (found := blame_phrases(f.text, names))]
        log.done_with(name)
    entries = [e for e in entries if e["file"] in log.slims]  # none unreadable since listed
    # The search bundles (search_index.py) whose pages changed are built while the lists are
    # written; the index page names those that hold pages.
    shard_pages, wanted, search = search_plan(
        entries, pages, manifest.get("search") if manifest.get("templates") == templates else {})
    bundles = bundle_paths(list(shard_pages))
    report.unreadable = [(p.name, e.replace(f"{folder}{os.sep}", "")) for p, e in log.unreadable]
    report.redacted = log.redacted

    # A list page is rendered only when what it lists changed (a log of thousands lists each
    # post-mortem on five pages or more): the manifest keeps a hash of what each one showed.
    old_lists = manifest.get("lists") if manifest.get("templates") == templates else None
    old_lists = old_lists if isinstance(old_lists, dict) else {}
    lists: dict[str, str] = {}
    entry_keys = {}
    for e in entries:
        kept = log.cached.get(e["file"], {}).get("entry_key")
        entry_keys[e["file"]] = kept if isinstance(kept, str) else _digest(e)
    builds = Builds(out, shard_pages, {s for s in wanted if s not in search or not site.has(
        f"pagefind/{s}/pagefind-entry.json")}) if search_index else None
    try:
        def render(rel: str, template: str, what: list, **context) -> None:
            lists[rel] = _digest([template, what])
            if old_lists.get(rel) == lists[rel] and site.has(rel):
                site.written.add(rel)
                return
            html = env.get_template(template).render(**context, **common)
            site.write(rel, html.encode("utf-8"))

        def listing(rel: str, heading: str, items: list[dict]) -> None:
            render(rel, "listing.html", [heading, [entry_keys[e["file"]] for e in items]],
                   heading=heading, items=items, root="../")

        def grouped(key_of) -> dict[str, list[dict]]:
            groups: dict[str, list[dict]] = {}
            for e in entries:
                for k in key_of(e):
                    groups.setdefault(k, []).append(e)
            return groups

        filters: dict[str, list[dict]] = {}
        for kind, key_of, heading, folder_name in (
            ("severities", lambda e: [e["severity"]], "Severity {}", "severity"),
            ("tags", lambda e: [t["name"] for t in e["tags"]], "Tag: {}", "tags"),
            ("teams", lambda e: e["teams"], "Team: {}", "teams"),
            ("months", lambda e: [e["month"]], "Incidents of {}", "months"),
        ):
            groups = grouped(key_of)
            order = sorted(groups, reverse=kind == "months")
            filters[kind] = []
            for name in order:
                file_name = name if kind == "severities" else slug(name)
                shown = name.removeprefix(TEAM_PREFIX)
                listing(f"{folder_name}/{file_name}.html", heading.format(shown), groups[name])
                filters[kind].append({"name": shown, "count": len(groups[name]),
                                      "href": f"{folder_name}/{file_name}.html"})

        render("index.html", "index.html",
               [[entry_keys[e["file"]] for e in entries], report.unreadable, filters, bundles],
               items=entries, count=len(entries), unreadable=report.unreadable, root="",
               bundles=bundles, **filters)
        trends_key = log.trends_key(now, report.unreadable)
        if old_lists.get("trends.html") == trends_key and site.has("trends.html"):
            lists["trends.html"] = trends_key  # worked out over every session: only when changed
            site.written.add("trends.html")
        else:
            figures = trends(log.slims.values(), now, report.unreadable)
            drawn = [{**c, "svg": Markup(c["svg"])} for c in charts.trend_charts(figures)]
            site.write("trends.html", env.get_template("trends.html").render(
                t=figures, charts=drawn, root="", **common).encode("utf-8"))
            lists["trends.html"] = trends_key
        for name in STATIC:
            data = resources.files("pmconsole.publish").joinpath("static", name).read_bytes()
            render_key = hashlib.sha256(data).hexdigest()
            lists[name] = render_key
            if old_lists.get(name) == render_key and site.has(name):
                site.written.add(name)
            else:
                site.write(name, data)

        site.written.add(MANIFEST)  # written last, below
        for rel in old_files:
            if rel not in site.written and site.inside(rel):
                stale = out / rel
                if stale.is_file() or stale.is_symlink():
                    stale.unlink()
                    report.removed.append(rel)
    finally:  # the bundles waited for, whatever happened
        failed = builds.wait() if builds is not None else None
    if builds is not None and failed is None:
        report.search_built, search = builds.built, wanted
    state = to_json(  # pydantic's JSON: a manifest of 10,000 sessions is tens of MB
        {"version": BUILD_VERSION, "templates": templates, "pages": pages,
         "files": sorted(site.written), "scanned_as": scanned_as, "lists": lists,
         "search": search, "sessions": log.manifest(view_keys, now, {
             e["file"]: {"links": links[e["file"]], "started": e["started_at"],
                         "keys": keys[e["file"]], "entry": e,
                         "entry_key": entry_keys[e["file"]]} for e in entries}),
         })
    if state != kept_bytes or not site.has(MANIFEST):
        site.write(MANIFEST, state)
    if failed:
        raise PublishError(failed)  # the pages are published; the search stays as it was
    return report

