"""A report to take to a clinician: the period, pain and where, red flags, and what was done.

Print-ready HTML (one file: the plot is embedded, the drawing is inline SVG; A4 page rules in its
CSS) and a PDF drawn with matplotlib (no browser or system library needed). It reports what the
person noted and did; it does not interpret or diagnose.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openchair.care.diary import BODY_REGIONS, DiaryEntry, back_svg
from openchair.care.diary_store import (
    Confirmation,
    HealthStatus,
    confirmations,
    entries,
    health_status,
)
from openchair.care.insight import Insight, build_insight, insight_figure, insight_png
from openchair.care.records import BreakRecord
from openchair.care.redflags import RED_FLAG_QUESTIONS
from openchair.care.screening import ScreeningRules
from openchair.care.trend import PainTrend, pain_trend
from openchair.posture.events import PostureDaySummary
from openchair.store.database import Store
from openchair.store.history import HistoryEntry, history

DISCLAIMER = (
    "Made by openchair from the person's own pain diary and the chair's records. It reports what "
    "was noted and done; it is not a diagnosis."
)


@dataclass(frozen=True)
class ReportData:
    person: str
    start: datetime
    end: datetime
    made_at: datetime
    entries: list[DiaryEntry]
    trend: PainTrend
    status: HealthStatus
    confirmations: list[Confirmation]
    insight: Insight
    rules: ScreeningRules

    @property
    def red_flag_answers(self) -> list[tuple[DiaryEntry, list[str]]]:
        asks = {f.id: f.ask for f in RED_FLAG_QUESTIONS}
        out = []
        for e in self.entries:
            yes = [asks.get(k, k) for k, v in e.red_flags.items() if v]
            if yes:
                out.append((e, yes))
        return out

    @property
    def screening_yes(self) -> list[str]:
        s = self.status.screening
        if s is None:
            return []
        return [q.ask for q in self.rules.question if s.answers.get(q.id)]


def gather(
    store: Store,
    name: str,
    start: datetime,
    end: datetime,
    rules: ScreeningRules,
    made_at: datetime,
    breaks: Sequence[BreakRecord] = (),
    posture: Sequence[PostureDaySummary] = (),
) -> ReportData:
    """Everything the report shows, for ``start`` ≤ t < ``end``."""
    diary = entries(store, name, since=start, until=end)
    sessions: list[HistoryEntry] = [
        h for h in history(store, person=name) if start <= h.started_at < end
    ]
    taken = [b for b in breaks if start <= b.at < end]
    return ReportData(
        person=name,
        start=start,
        end=end,
        made_at=made_at,
        entries=diary,
        trend=pain_trend(entries(store, name, until=end), end),
        status=health_status(store, name, rules),
        confirmations=[c for c in confirmations(store, name) if c.at < end],
        insight=build_insight(diary, sessions, taken, start, end, posture),
        rules=rules,
    )


def _e(text: object) -> str:
    return html.escape(str(text))


def _d(t: datetime) -> str:
    return t.strftime("%d %b %Y")


_CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1d2733;
       max-width: 180mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #c9d1da; padding-bottom: 1mm;
     break-after: avoid; }
.meta { color: #55606d; margin-bottom: 3mm; }
.verdict { border-left: 4px solid #2e86ab; background: #eef6fa; padding: 2mm 3mm; }
.verdict.refer { border-color: #c0392b; background: #fbeeee; }
.flag { color: #a3231a; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; break-inside: avoid; }
th, td { border: 1px solid #d5dbe1; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #f1f4f7; }
td.n { text-align: right; }
.cols { display: flex; gap: 6mm; align-items: flex-start; break-inside: avoid; }
img.plot { width: 100%; }
footer { margin-top: 6mm; color: #55606d; font-size: 8.5pt; }
"""


def report_html(data: ReportData) -> str:
    t = data.trend
    ins = data.insight
    refer = " refer" if t.see_clinician else ""
    png = base64.b64encode(insight_png(ins, 8.0, 4.6)).decode("ascii")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Back pain diary: {_e(data.person)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Back pain diary: {_e(data.person)}</h1>",
        f"<div class='meta'>Period {_d(data.start)} to {_d(data.end)} · "
        f"{len(data.entries)} diary entries · made {_d(data.made_at)}</div>",
        f"<div class='verdict{refer}'><b>Trend.</b> {_e(t.message)}</div>",
    ]
    # Red flags and health check first: what a clinician must not miss.
    parts.append("<h2>Red-flag answers</h2>")
    flagged = data.red_flag_answers
    if flagged:
        parts.append("<table><tr><th>date</th><th>answered yes</th></tr>")
        for e, yes in flagged:
            said = "<br>".join(_e(y) for y in yes)
            parts.append(f"<tr><td>{_d(e.at)}</td><td class='flag'>{said}</td></tr>")
        parts.append("</table>")
    else:
        parts.append(
            f"<p>None: every red-flag question was answered no "
            f"({len(RED_FLAG_QUESTIONS)} questions with each entry).</p>"
        )
    seen = [c for c in data.confirmations if c.kind == "red-flags"]
    for c in seen:
        note = f": {_e(c.note)}" if c.note else ""
        parts.append(f"<p>Confirmed seen by a clinician on {_d(c.at)}{note}.</p>")
    parts.append("<h2>Health check</h2>")
    s = data.status.screening
    if s is None:
        parts.append("<p>Not answered.</p>")
    else:
        yes = data.screening_yes
        answered = f"Answered {_d(s.answered_at)}. "
        parts.append(
            f"<p>{answered}"
            + ("Yes to: " + "; ".join(_e(y) for y in yes) if yes else "No to every question.")
            + "</p>"
        )
        r = data.status.restrictions
        if r.any:
            limits = []
            if r.programs_out:
                limits.append("programs left out: " + ", ".join(sorted(r.programs_out)))
            if r.techniques_out:
                limits.append("techniques left out: " + ", ".join(sorted(r.techniques_out)))
            if r.depth_cap is not None:
                limits.append(f"roller depth at most {r.depth_cap:.0%} of comfortable")
            if r.heat_max_c is not None:
                limits.append(
                    "no heat" if r.heat_max_c == 0 else f"heat at most {r.heat_max_c:g} °C"
                )
            parts.append("<p>The chair applied: " + _e("; ".join(limits)) + ".</p>")
    # Pain over time.
    parts.append("<h2>Pain over the period</h2>")
    parts.append(f"<img class='plot' alt='pain over time' src='data:image/png;base64,{png}'>")
    posture = any(w.slouched_min is not None for w in ins.weeks)
    parts.append(
        "<table><tr><th>week from</th><th>mean pain</th><th>entries</th><th>massage sessions"
        "</th><th>massage min</th><th>breaks taken</th><th>breaks skipped</th>"
        + ("<th>sitting h</th><th>slouched min</th>" if posture else "")
        + "</tr>"
    )
    for w in ins.weeks:
        mean = "" if w.pain_mean is None else f"{w.pain_mean:.1f}"
        slouch = "" if w.slouched_min is None else f"{w.slouched_min:.0f}"
        sitting = "" if w.sitting_min is None else f"{w.sitting_min / 60:.1f}"
        extra = f"<td class='n'>{sitting}</td><td class='n'>{slouch}</td>" if posture else ""
        parts.append(
            f"<tr><td>{w.start:%d %b}</td><td class='n'>{mean}</td>"
            f"<td class='n'>{w.pain_entries}</td><td class='n'>{w.sessions}</td>"
            f"<td class='n'>{w.massage_min:.0f}</td><td class='n'>{w.breaks_taken}</td>"
            f"<td class='n'>{w.breaks_skipped}</td>{extra}</tr>"
        )
    parts.append("</table>")
    # Where, stiffness, better and worse.
    parts.append("<h2>Where it hurt, stiffness, what helped</h2><div class='cols'>")
    top = sorted(ins.areas, key=lambda a: -ins.areas[a])
    parts.append(f"<div>{back_svg(top, size_px=150)}</div><div style='flex:1'>")
    if top:
        parts.append("<table><tr><th>area</th><th>entries</th></tr>")
        for a in top:
            parts.append(
                f"<tr><td>{_e(BODY_REGIONS[a][0])}</td><td class='n'>{ins.areas[a]}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No areas marked.</p>")
    stiff = [e.stiffness_min for e in data.entries if e.stiffness_min is not None]
    if stiff:
        parts.append(
            f"<p>Morning stiffness: mean {sum(stiff) / len(stiff):.0f} min, longest "
            f"{max(stiff)} min ({len(stiff)} entries).</p>"
        )
    for label, key in (("Better with", "better"), ("Worse with", "worse")):
        counts: dict[str, int] = {}
        for e in data.entries:
            for f in getattr(e, key):
                counts[f] = counts.get(f, 0) + 1
        if counts:
            listed = ", ".join(
                f"{_e(k)} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
            )
            parts.append(f"<p><b>{label}:</b> {listed}</p>")
    parts.append("</div></div>")
    # What was done.
    parts.append("<h2>What was done</h2><ul>")
    sessions = sum(w.sessions for w in ins.weeks)
    minutes = sum(w.massage_min for w in ins.weeks)
    progs = ", ".join(f"{_e(k)} ×{v}" for k, v in sorted(ins.programs.items()))
    parts.append(
        f"<li>Massage chair: {sessions} sessions, {minutes:.0f} min in all"
        + (f" ({progs})" if progs else "")
        + "</li>"
    )
    taken = sum(w.breaks_taken for w in ins.weeks)
    skipped = sum(w.breaks_skipped for w in ins.weeks)
    parts.append(f"<li>Movement breaks: {taken} taken, {skipped} skipped</li>")
    if ins.exercises:
        ex = ", ".join(f"{_e(k)} ×{v}" for k, v in sorted(ins.exercises.items()))
        parts.append(f"<li>Exercises done in breaks: {ex}</li>")
    parts.append("</ul>")
    notes = [e for e in data.entries if e.notes.strip()]
    if notes:
        parts.append("<h2>Notes</h2><table><tr><th>date</th><th>pain</th><th>note</th></tr>")
        for e in notes:
            parts.append(
                f"<tr><td>{_d(e.at)}</td><td class='n'>{e.pain}</td><td>{_e(e.notes)}</td></tr>"
            )
        parts.append("</table>")
    parts.append(f"<footer>{_e(DISCLAIMER)}</footer></body></html>")
    return "".join(parts)


def summary_figure(data: ReportData):  # type: ignore[no-untyped-def]
    """The report's first PDF page: the summary in words, on an A4 figure."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [
        (f"Back pain diary: {data.person}", 15, "bold"),
        (
            f"Period {_d(data.start)} to {_d(data.end)} · {len(data.entries)} entries · "
            f"made {_d(data.made_at)}",
            9,
            "normal",
        ),
        ("", 9, "normal"),
        ("Trend", 11, "bold"),
        (data.trend.message, 9, "normal"),
        ("", 9, "normal"),
        ("Red-flag answers", 11, "bold"),
    ]
    flagged = data.red_flag_answers
    if flagged:
        for e, yes in flagged:
            lines.extend((f"{_d(e.at)}: {y}", 9, "normal") for y in yes)
    else:
        lines.append(("None: every red-flag question was answered no.", 9, "normal"))
    for c in data.confirmations:
        if c.kind == "red-flags":
            lines.append((f"Confirmed seen by a clinician on {_d(c.at)}.", 9, "normal"))
    lines += [("", 9, "normal"), ("Health check", 11, "bold")]
    yes = data.screening_yes
    if data.status.screening is None:
        lines.append(("Not answered.", 9, "normal"))
    else:
        lines.append(("Yes to: " + "; ".join(yes) if yes else "No to every question.", 9, "normal"))
    ins = data.insight
    lines += [("", 9, "normal"), ("Where it hurt", 11, "bold")]
    top = sorted(ins.areas, key=lambda a: -ins.areas[a])
    lines.append(
        (
            ", ".join(f"{BODY_REGIONS[a][0]} ({ins.areas[a]})" for a in top) or "none marked",
            9,
            "normal",
        )
    )
    lines += [("", 9, "normal"), ("What was done", 11, "bold")]
    lines.append(
        (
            f"Massage: {sum(w.sessions for w in ins.weeks)} sessions, "
            f"{sum(w.massage_min for w in ins.weeks):.0f} min. Breaks taken: "
            f"{sum(w.breaks_taken for w in ins.weeks)}.",
            9,
            "normal",
        )
    )
    lines += [("", 9, "normal"), (DISCLAIMER, 8, "normal")]
    fig = plt.figure(figsize=(8.27, 11.69))
    y = 0.95
    for text, size, weight in lines:
        for w in textwrap.wrap(text, 100 if size < 10 else 70) or [""]:
            fig.text(0.07, y, w, fontsize=size, weight=weight, va="top")
            y -= 0.018 if size < 10 else 0.026
        if y < 0.05:
            break
    return fig


def report_pdf(data: ReportData, path: Path) -> None:
    """The report as a two-page PDF: the summary in words, then the plot."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        fig = summary_figure(data)
        pdf.savefig(fig)
        plt.close(fig)
        fig = insight_figure(data.insight, 8.27, 5.5)
        pdf.savefig(fig)
        plt.close(fig)
