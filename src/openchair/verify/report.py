"""The verification report a maker reads: one self-contained HTML page, its plots and the JSON.

The page is written to be opened from a folder, mailed or attached to a release without a web
server: inline CSS, images by relative file name, no JavaScript, no external addresses. Numbers
come from :class:`~openchair.verify.result.VerifyResult` only, so the page and ``result.json``
never disagree; every failing body carries the command that replays it on the twin.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openchair.verify.monitor import BACK_BINS
from openchair.verify.result import ProgramResult, VerifyResult
from openchair.verify.rules import COMFORTABLE_DEPTH, PAIN_THRESHOLD, RULES

INDEX_HTML = "index.html"
RESULT_JSON = "result.json"
HEATMAP_PNG = "heatmap.png"
PEAK_FORCE_PNG = "peak_force.png"
PEAK_SCATTER_PNG = "peak_scatter.png"

WORST_CASES = 5
"""Bodies shown closest to (or past) the pain threshold per program: enough to see whether a
failure is one odd body or the edge of a group."""
FAILING_LISTED_MAX = 50
"""Failing bodies listed per program on the page; the rest are in ``result.json``, which a
script reads better than a person does."""
GRID_COLUMNS = 3
WORST_HEAD = ("body", "body parameters", "margin (N)", "failed rules", "outcome", "replay")
DPI = 110
NO_VALUE = "—"

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: #11702b; font-weight: bold; }
.fail { color: #b3140b; font-weight: bold; }
.verdict { font-size: 1.6em; }
code { font-size: 0.85em; word-break: break-all; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em 0; }
.meaning { color: #555; }
"""


def write_report(result: VerifyResult, directory: Path) -> Path:
    """Write ``index.html``, its plots and ``result.json`` into ``directory``; return the page."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RESULT_JSON).write_text(
        json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    plot_heatmap(result, directory / HEATMAP_PNG)
    plot_peak_force(result, directory / PEAK_FORCE_PNG)
    plot_peak_scatter(result, directory / PEAK_SCATTER_PNG)
    index = directory / INDEX_HTML
    index.write_text(render_html(result), encoding="utf-8")
    return index


# -- JSON ----------------------------------------------------------------------------------------


# -- plots ---------------------------------------------------------------------------------------


def plot_heatmap(result: VerifyResult, out: Path) -> None:
    """Mean seconds per part of the back, one row per program: a program that never reaches
    the lower back, or sits on one spot, shows at a glance across programs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(result.programs)
    rows = np.full((max(n, 1), BACK_BINS), np.nan)
    for j, p in enumerate(result.programs):
        if p.bodies.size:
            rows[j] = np.asarray(p.back_seconds, dtype=np.float64).reshape(-1, BACK_BINS).mean(0)
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.45 * max(n, 1)))
    try:
        image = ax.imshow(
            np.ma.masked_invalid(rows),
            aspect="auto",
            cmap="viridis",
            extent=(0.0, 1.0, max(n, 1) - 0.5, -0.5),
            interpolation="nearest",
        )
        ax.set_yticks(range(max(n, 1)))
        ax.set_yticklabels([p.program_id for p in result.programs] or ["(no programs)"])
        ax.set_xlabel("share of the back, seat crease → C7")
        ax.set_title("Where the rollers worked (mean seconds per part of the back)")
        fig.colorbar(image, ax=ax, label="seconds")
        fig.tight_layout()
        fig.savefig(out, dpi=DPI)
    finally:
        plt.close(fig)


def plot_peak_force(result: VerifyResult, out: Path) -> None:
    """Per program the spread of peak force over pain threshold: how far below the threshold
    the population stays tells more than the pass count does."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(result.programs), 1)
    cols = min(GRID_COLUMNS, n)
    nrows = math.ceil(n / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.0 * nrows), squeeze=False)
    try:
        flat = list(axes.ravel())
        for ax, p in zip(flat, result.programs, strict=False):
            ratio = _finite(p.peak_ratio)
            ax.set_title(p.program_id, fontsize=9)
            ax.set_xlabel("peak force / pain threshold", fontsize=8)
            ax.set_ylabel("bodies", fontsize=8)
            ax.tick_params(labelsize=7)
            if ratio.size:
                top = max(1.2, float(ratio.max()) * 1.05)
                bottom = min(0.0, float(ratio.min()))
                ax.hist(ratio, bins=30, range=(bottom, top), color="tab:blue")
            else:
                ax.text(0.5, 0.5, "no bodies", ha="center", va="center", transform=ax.transAxes)
                ax.set_xlim(0.0, 1.2)
            ax.axvline(1.0, color="tab:red", lw=1.2, label="pain threshold")
            ax.legend(fontsize=7, loc="upper left")
        for ax in flat[len(result.programs) :]:
            ax.set_axis_off()
        fig.suptitle("Peak force against pain threshold (at the same tick)")
        fig.tight_layout()
        fig.savefig(out, dpi=DPI)
    finally:
        plt.close(fig)


def plot_peak_scatter(result: VerifyResult, out: Path) -> None:
    """Each body's peak force against the threshold it met there: points above the line went
    past the threshold, and their distance from it is how far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 6.0))
    try:
        high = 1.0
        for p in result.programs:
            force = np.asarray(p.peak_force_n, dtype=np.float64)
            threshold = np.asarray(p.threshold_at_peak_n, dtype=np.float64)
            keep = np.isfinite(force) & np.isfinite(threshold)
            if keep.any():
                ax.scatter(threshold[keep], force[keep], s=8, alpha=0.6, label=p.program_id)
                high = max(high, float(force[keep].max()), float(threshold[keep].max()))
        high *= 1.05
        ax.plot([0.0, high], [0.0, high], color="tab:red", lw=1.0, label="force = threshold")
        ax.set_xlim(0.0, high)
        ax.set_ylim(0.0, high)
        ax.set_xlabel("pain threshold at the peak (N)")
        ax.set_ylabel("peak force (N)")
        ax.set_title("Peak force against the pain threshold where it happened")
        ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        fig.savefig(out, dpi=DPI)
    finally:
        plt.close(fig)


def _finite(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    a = np.asarray(values, dtype=np.float64).ravel()
    return a[np.isfinite(a)]


# -- HTML ----------------------------------------------------------------------------------------


def render_html(result: VerifyResult) -> str:
    """The page as one string, every piece of text escaped: program names and outcomes come
    from program files and failure reasons, not from this module."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_e('openchair verification — ' + _verdict(result.ok))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        *_header(result),
        *_summary(result),
        "<h2>Where the rollers worked</h2>",
        _img(HEATMAP_PNG, "heat map: mean seconds per part of the back, per program"),
        "<h2>Peak force against pain threshold</h2>",
        _img(PEAK_FORCE_PNG, "histograms of peak force over pain threshold, per program"),
        _img(PEAK_SCATTER_PNG, "peak force against the pain threshold at the peak"),
        "<h2>Rules per program</h2>",
        f"<p>A body passes a rule when its margin is not negative ({_e(COMFORTABLE_DEPTH)} "
        f"allows {_e(_num(result.criteria.depth_tolerance_mm))} mm). "
        f"{_e(NO_VALUE)} means the rule never came into play for any body.</p>",
    ]
    for p in result.programs:
        parts += _rules_table(result, p)
    parts.append("<h2>Worst cases</h2>")
    for p in result.programs:
        parts += _worst_cases(result, p)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _header(result: VerifyResult) -> list[str]:
    ticks = result.chair_ticks
    rate = _num(ticks / result.wall_s, 0) if result.wall_s > 0 else NO_VALUE
    rows = [
        ("bodies", str(len(result.population))),
        ("population", result.population_source),
        ("seed", str(result.seed)),
        ("intensity", str(result.intensity)),
        ("programs", str(len(result.programs))),
        ("wall time", f"{_num(result.wall_s, 1)} s"),
        ("workers", str(result.workers)),
        ("chair-ticks", f"{ticks:,}"),
        ("chair-ticks per second", rate),
    ]
    return [
        "<h1>openchair verification</h1>",
        f'<p class="verdict">Verdict: {_verdict_span(result.ok)}</p>',
        "<table>",
        *(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows),
        "</table>",
    ]


def _summary(result: VerifyResult) -> list[str]:
    head = (
        "program",
        "name",
        "minutes",
        "bodies",
        "passed",
        "failed",
        "coverage median",
        "coverage min",
        "max peak force / pain threshold",
        "safety events",
    )
    out = ["<h2>Summary</h2>", "<table>", _row(head, header=True)]
    for p in result.programs:
        passed = p.passed(result.criteria)
        coverage = _finite(p.coverage)
        ratio = _finite(p.peak_ratio)
        numbers = [
            _e(_num(p.minutes, 1)),
            str(p.bodies.size),
            str(int(passed.sum())),
            _count_span(int((~passed).sum())),
            _e(_pct(float(np.median(coverage))) if coverage.size else NO_VALUE),
            _e(_pct(float(coverage.min())) if coverage.size else NO_VALUE),
            _e(_num(float(ratio.max()), 3) if ratio.size else NO_VALUE),
            str(int(np.asarray(p.safety_events).sum())),
        ]
        out.append(
            f"<tr><td>{_e(p.program_id)}</td><td>{_e(p.name)}</td>"
            + "".join(f'<td class="num">{v}</td>' for v in numbers)
            + "</tr>"
        )
    out.append("</table>")
    out.append(
        "<p>Coverage: the share of the 20 parts of the back (seat crease to C7) that the rollers "
        "worked beside the spine, per body.</p>"
    )
    return out


def _rules_table(result: VerifyResult, p: ProgramResult) -> list[str]:
    out = [f"<h3>{_e(p.program_id)} — {_e(p.name)}</h3>"]
    if not p.bodies.size:
        return [*out, "<p>No bodies ran this program.</p>"]
    head = ("rule", "kind", "unit", "worst margin", "body", "failed bodies", "meaning")
    out += ["<table>", _row(head, header=True)]
    for rule in RULES:
        margin, body = p.worst(rule.name)
        failed = int((~p.passed_rule(rule.name, result.criteria)).sum())
        out.append(
            "<tr>"
            f"<td>{_e(rule.name)}</td><td>{_e(rule.kind)}</td><td>{_e(rule.unit)}</td>"
            f'<td class="num">{_e(_margin(margin))}</td>'
            f'<td class="num">{_e(str(body) if math.isfinite(margin) else NO_VALUE)}</td>'
            f'<td class="num">{_count_span(failed)}</td>'
            f'<td class="meaning">{_e(rule.meaning)}</td>'
            "</tr>"
        )
    out.append("</table>")
    return out


def _worst_cases(result: VerifyResult, p: ProgramResult) -> list[str]:
    out = [f"<h3>{_e(p.program_id)} — {_e(p.name)}</h3>"]
    if not p.bodies.size:
        return [*out, "<p>No bodies ran this program.</p>"]
    c = result.criteria
    pain = np.asarray(p.margins[PAIN_THRESHOLD], dtype=np.float64)
    closest = np.argsort(pain, kind="stable")[:WORST_CASES]
    out += [
        f"<p>The {len(closest)} bodies closest to the pain threshold (smallest margin, N).</p>",
        "<table>",
        _row(WORST_HEAD, header=True),
        *(_body_row(result, p, int(i), show_margin=True) for i in closest),
        "</table>",
    ]
    failing = np.flatnonzero(~p.passed(c))
    if not failing.size:
        return [*out, '<p class="pass">Every body passed every rule.</p>']
    out += [
        f'<p class="fail">{failing.size} failing bodies'
        + (f" (the first {FAILING_LISTED_MAX} listed)" if failing.size > FAILING_LISTED_MAX else "")
        + ".</p>",
        "<table>",
        _row(("body", "failed rules", "outcome", "replay"), header=True),
        *(_body_row(result, p, int(i), show_margin=False) for i in failing[:FAILING_LISTED_MAX]),
        "</table>",
    ]
    if failing.size > FAILING_LISTED_MAX:
        rest = failing.size - FAILING_LISTED_MAX
        out.append(f"<p>{rest} more in {_e(RESULT_JSON)}.</p>")
    return out


def _body_row(result: VerifyResult, p: ProgramResult, i: int, *, show_margin: bool) -> str:
    """One body of one program; ``i`` is its position in the program's arrays."""
    body = int(p.bodies[i])
    failed = p.failed_rules(i, result.criteria)
    cells = [f'<td class="num">{body}</td>']
    if show_margin:
        cells.append(f"<td><code>{_e(result.population[body].describe())}</code></td>")
        cells.append(f'<td class="num">{_e(_margin(float(p.margins[PAIN_THRESHOLD][i])))}</td>')
    cells += [
        f'<td class="fail">{_e(", ".join(failed))}</td>' if failed else "<td>none</td>",
        f"<td>{_e(p.outcome[i])}</td>",
        f"<td><code>{_e(result.replay_command(p.program_id, body))}</code></td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


# -- formatting ----------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _row(cells: Iterable[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{_e(c)}</{tag}>" for c in cells) + "</tr>"


def _img(name: str, alt: str) -> str:
    return f'<img src="{_e(name)}" alt="{_e(alt)}">'


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _verdict_span(ok: bool) -> str:
    return f'<span class="{"pass" if ok else "fail"}">{_verdict(ok)}</span>'


def _count_span(count: int) -> str:
    return f'<span class="fail">{count}</span>' if count else "0"


def _num(value: float, digits: int = 2, sign: str = "") -> str:
    """A figure for a table; +inf is a rule that never came into play, so it has no value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return NO_VALUE if value > 0 else "−∞"
    return f"{value:{sign},.{digits}f}"


def _margin(value: float) -> str:
    return _num(value, 2, "+")


def _pct(share: float) -> str:
    return f"{100.0 * share:.1f} %"
