"""Related post-mortems for the published site: the others that share tags or title words, most
shared first, then nearest in time; and, between two publishes, which post-mortems' lists may
have changed, so that only those are worked out again.

Never import Textual here.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from datetime import datetime

from pmconsole.domain.model import Session

RELATED_LIMIT = 5
RELATED_REACH = 100  # holders of a tag or word looked at on each side in time
ALL_AT = 20  # more than one post-mortem in ALL_AT changed: every list is worked out again
_STOPWORDS = frozenset("with from after before during into that this their have when were".split())


def title_words(title: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]{4,}", title.lower()) if w not in _STOPWORDS}


def keys_of(session: Session, title: str) -> list[str]:
    """What makes two post-mortems related: "#tag" for each tag, and the title's words."""
    return sorted({f"#{t}" for t in session.incident.tags} | title_words(title))


def _holders(order: list[str], keys: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each key, the files that have it, in time order (as ``order`` is)."""
    holders: dict[str, list[str]] = {}
    for name in order:
        for key in keys[name]:
            holders.setdefault(key, []).append(name)
    return holders


def related(entries: list[dict], keys: dict[str, list[str]],
            only: set[str] | None = None) -> dict[str, list[dict]]:
    """For each post-mortem (or those named in ``only``), the others that share tags or title
    words (``keys``: each one's keys_of), most shared first, then nearest in time. Found
    through who holds each tag and word, and for each of those only among the RELATED_REACH
    holders nearest in time (a tag on thousands of post-mortems would otherwise make the log
    compare every pair)."""
    order = sorted(entries, key=lambda e: (e["started_at"], e["file"]))
    by_name = {e["file"]: e for e in order}
    place = {e["file"]: i for i, e in enumerate(order)}
    at_time = {e["file"]: datetime.fromisoformat(e["started_at"]).timestamp() for e in order}
    own = {e["file"]: keys[e["file"]] for e in order}
    holders = {k: [place[n] for n in names]
               for k, names in _holders([e["file"] for e in order], own).items()}
    result = {}
    for e in entries:
        if only is not None and e["file"] not in only:
            continue
        me = place[e["file"]]
        score: dict[int, int] = {}
        why: dict[int, list[str]] = {}
        for key in own[e["file"]]:
            places = holders[key]
            at = bisect_left(places, me)
            for other in places[max(0, at - RELATED_REACH):at + RELATED_REACH + 1]:
                if other != me:
                    score[other] = score.get(other, 0) + (2 if key.startswith("#") else 1)
                    why.setdefault(other, []).append(key)
        mine = at_time[e["file"]]
        best = heapq.nlargest(RELATED_LIMIT, score, key=lambda o: (
            score[o], -abs(at_time[order[o]["file"]] - mine), order[o]["file"]))
        result[e["file"]] = [
            {"slug": by_name[order[o]["file"]]["slug"], "title": order[o]["title"],
             "started": order[o]["started"],
             "why": ", ".join(sorted(why[o], key=lambda k: (not k.startswith("#"), k)))}
            for o in best
        ]
    return result


def touched(entries: list[dict], keys: dict[str, list[str]],
            before: dict[str, tuple[list[str], str]]) -> set[str] | None:
    """The post-mortems whose related list may differ from the last publish's, given each one's
    keys now (``keys``) and its keys and start then (``before``); None when so much changed
    that all are worked out again.

    A list changes only where a post-mortem that shares one of its keys came, went or changed
    near it in time: within RELATED_REACH (and one, for the shift) of it among that key's
    holders, before or now."""
    now = {e["file"]: (keys[e["file"]], e["started_at"]) for e in entries}
    dirty = {n for n, v in now.items() if before.get(n) != v} | (before.keys() - now.keys())
    if len(dirty) * ALL_AT > len(now):
        return None
    result = {n for n in dirty if n in now}
    reach = RELATED_REACH + 2
    for state in (now, before):
        order = sorted(state, key=lambda n: (state[n][1], n))
        holders = _holders(order, {n: state[n][0] for n in order})
        places: dict[str, dict[str, int]] = {}
        times: dict[str, list[str]] = {}
        for name in dirty:
            when = (state.get(name) or now.get(name) or before[name])[1]
            for key in set(now.get(name, ((), ""))[0]) | set(before.get(name, ((), ""))[0]):
                names = holders.get(key, [])
                if key not in places:
                    places[key] = {n: i for i, n in enumerate(names)}
                    times[key] = [state[n][1] for n in names]
                at = places[key].get(name)
                if at is None:  # not a holder in this state: where it would stand
                    at = bisect_left(times[key], when)
                result.update(names[max(0, at - reach):at + reach + 1])
    return result & now.keys()
