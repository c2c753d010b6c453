"""Send the posture monitor's day summaries (``POST /api/posture/days``) and its nudges
(``POST /api/posture/nudges``) to the chair.

Numbers only: seconds of sitting, slouching and absence, counts, and the sitting stretches as
times. The chair keeps one summary per person and day and a post replaces it, so a run adds its
numbers to what the chair already has for that day before sending (one post per run and day).
Uses only the standard library, so the posture extra needs nothing more.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from openchair.posture.events import PostureDaySummary, PostureEvent, PostureEventKind

TOKEN_ENV = "OPENCHAIR_TOKEN"


class PushError(Exception):
    """The chair could not be reached or refused the numbers; the message says which."""


Send = Callable[[urllib.request.Request, float], Any]


def _urlopen(req: urllib.request.Request, timeout_s: float) -> Any:
    return urllib.request.urlopen(req, timeout=timeout_s)


def _call(send: Send, req: urllib.request.Request, timeout_s: float) -> Any:
    try:
        with send(req, timeout_s) as r:
            return json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        try:
            detail = json.loads(err.read().decode("utf-8")).get("detail")
        except (ValueError, AttributeError):
            detail = None
        raise PushError(f"the chair refused ({err.code}): {detail or err.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise PushError(f"cannot reach the chair at {req.full_url}: {reason}") from None


def push_nudge(
    base_url: str,
    token: str,
    person: str,
    event: PostureEvent,
    *,
    timeout_s: float = 5.0,
    send: Send = _urlopen,
) -> dict[str, Any]:
    """Hand one nudge to the chair (``POST /api/posture/nudges``), which shows it on the page in
    the break poll when the break rules allow; the chair's answer says whether it will."""
    url, headers = _target(base_url, token)
    body = {
        "person": person,
        "t_s": event.t_s,
        "reasons": [r.value for r in event.reasons],
        "slouched_for_s": event.slouched_for_s,
    }
    req = urllib.request.Request(
        f"{url}/api/posture/nudges",
        data=json.dumps(body).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    answer = _call(send, req, timeout_s)
    return answer if isinstance(answer, dict) else {}


def push_presence(
    base_url: str,
    token: str,
    person: str,
    event: PostureEvent,
    *,
    timeout_s: float = 5.0,
    send: Send = _urlopen,
) -> dict[str, Any]:
    """Tell the chair the person left (``away``) or came back (``back``), so its break
    scheduler counts the time away as the desktop helper counts idle time."""
    if event.kind is PostureEventKind.NUDGE:
        raise ValueError("a nudge is not a presence event")
    url, headers = _target(base_url, token)
    body = {"person": person, "away": event.kind is PostureEventKind.AWAY, "t_s": event.t_s}
    req = urllib.request.Request(
        f"{url}/api/posture/presence",
        data=json.dumps(body).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    answer = _call(send, req, timeout_s)
    return answer if isinstance(answer, dict) else {}


def _target(base_url: str, token: str) -> tuple[str, dict[str, str]]:
    url = base_url.rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise PushError(f"{base_url!r} is not an http:// or https:// address of the chair")
    if not token:
        raise PushError(f"no token: set {TOKEN_ENV} to a paired device's token")
    return url, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def push_days(
    base_url: str,
    token: str,
    person: str,
    summaries: Sequence[PostureDaySummary],
    *,
    timeout_s: float = 10.0,
    send: Send = _urlopen,
) -> list[str]:
    """Add ``summaries`` to what the chair has for ``person`` and send them; the dates sent."""
    url, headers = _target(base_url, token)
    query = urllib.parse.urlencode({"person": person})
    have = _call(
        send, urllib.request.Request(f"{url}/api/posture/days?{query}", headers=headers), timeout_s
    )
    kept = {d["date"]: d for d in have} if isinstance(have, list) else {}
    sent = []
    for s in summaries:
        old = kept.get(s.date)
        body: dict[str, Any] = {
            "person": person,
            "date": s.date,
            "sitting_s": s.sitting_s,
            "slouched_s": s.slouched_s,
            "away_s": s.away_s,
            "unobserved_s": s.unobserved_s,
            "nudges": s.nudges,
            "breaks": s.breaks,
            "streaks": [{"start_s": x.start_s, "end_s": x.end_s} for x in s.streaks],
        }
        if old is not None:  # the chair answers in minutes
            for key in ("sitting", "slouched", "away", "unobserved"):
                body[f"{key}_s"] = min(86400.0, body[f"{key}_s"] + old[f"{key}_min"] * 60.0)
            body["nudges"] += old["nudges"]
            body["breaks"] += old["breaks"]
            old_streaks = [{"start_s": x["start_s"], "end_s": x["end_s"]} for x in old["streaks"]]
            body["streaks"] = old_streaks + body["streaks"]
        req = urllib.request.Request(
            f"{url}/api/posture/days",
            data=json.dumps(body).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        _call(send, req, timeout_s)
        sent.append(s.date)
    return sent
