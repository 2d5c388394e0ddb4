"""Static, offline HTML reports: one per call and an aggregate ``summary.html``.

Every plot is an inline SVG drawn here (no plotting library: the call timeline is cheap
enough for every call of a large audit, and the summary's bar charts cost milliseconds
where matplotlib took seconds). A report is one file with no script, no font and no
network request. Every text comes from the redacted document (or rows derived from it),
so redaction covers the reports too.
Output is deterministic: the same document gives the same bytes.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["render_call_html", "render_summary_html"]

_PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top;font-size:.92em}
.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#eee;font-size:.85em}
.barrier{background:#c44e52;color:#fff}.clear{background:#55a868;color:#fff}.unknown{background:#999;color:#fff}
tr.hard td{background:#fff4e5}tr.confused td{background:#fdecea}tr.suggestion td{background:#eaf5ea}
mark{background:#ffe08a}.plot{max-width:100%;height:auto}.charts{display:flex;flex-wrap:wrap;gap:8px}svg.plot text{fill:#333}.muted{color:#777}
"""


def _verdict_badge(barrier: Any) -> str:
    if barrier is None:
        return '<span class="badge unknown">unknown</span>'
    return '<span class="badge barrier">barrier</span>' if barrier else '<span class="badge clear">no barrier</span>'


def _colors(keys: Sequence[str]) -> dict[str, str]:
    return {key: _PALETTE[index % len(_PALETTE)] for index, key in enumerate(sorted(set(keys)))}


def _tick_step(duration_s: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration_s / step <= 12:
            return float(step)
    return 7200.0


def timeline_svg(document: Mapping[str, Any]) -> str:
    """The call timeline as an inline SVG: speaker turns coloured by language, agent
    difficulty, barrier level, customer confusion and suggestions on one time axis.

    Drawn directly (no plotting library): a few hundred elements at most, milliseconds
    per call, sharp at any zoom, and deterministic.
    """
    utterances = document.get("utterances", [])
    tracks = sorted({u.get("track") or "mixed" for u in utterances}) or ["agent"]
    languages = [(u.get("text_language") or {}).get("language") or "unknown" for u in utterances]
    colors = _colors(languages)
    timeline = document.get("timeline", [])
    confusion = document.get("confusion", [])
    suggestions = document.get("suggestions", [])
    ends = [float(u["end_s"]) for u in utterances] + [float(p["time_s"]) for p in timeline]
    duration = max([float(document.get("duration_s") or 0.0), *ends, 1.0])
    width, left, right = 1000, 80, 20
    lane_h, lanes_top = 26, 28
    levels_top = lanes_top + lane_h * len(tracks) + 34
    levels_h = 120
    height = levels_top + levels_h + 40
    span = width - left - right

    def x(time_s: float) -> float:
        return round(left + span * min(max(time_s, 0.0), duration) / duration, 1)

    def y(level: float) -> float:
        return round(levels_top + levels_h * (1.0 - (min(max(level, -0.15), 1.15) + 0.15) / 1.3), 1)

    out = [f'<svg class="plot" role="img" aria-label="call timeline" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="11" '
           f'font-family="system-ui,sans-serif">',
           f'<text x="{left}" y="16">speakers (colour: language)</text>']
    legend_x = width - right
    for language, color in sorted(colors.items(), reverse=True):
        legend_x -= 14 + 7 * len(language) + 12
        out.append(f'<rect x="{legend_x}" y="7" width="10" height="10" fill="{color}"/>'
                   f'<text x="{legend_x + 14}" y="16">{html.escape(language)}</text>')
    for row, track in enumerate(tracks):
        top = lanes_top + row * lane_h
        out.append(f'<text x="{left - 8}" y="{top + lane_h / 2 + 4}" text-anchor="end">{html.escape(track)}</text>'
                   f'<rect x="{left}" y="{top}" width="{span}" height="{lane_h - 4}" fill="#f4f4f4"/>')
    for utterance, language in zip(utterances, languages, strict=True):
        row = tracks.index(utterance.get("track") or "mixed")
        start, end = float(utterance["start_s"]), float(utterance["end_s"])
        bar = max(x(end) - x(start), 2.0)
        out.append(f'<rect x="{x(start)}" y="{lanes_top + row * lane_h}" width="{bar:.1f}" '
                   f'height="{lane_h - 4}" fill="{colors[language]}"><title>{html.escape(str(utterance.get("track")))} '
                   f'{start:.1f}-{end:.1f} s, {html.escape(language)}</title></rect>')
    out.append(f'<text x="{left}" y="{levels_top - 10}">agent difficulty (orange), barrier level (red), '
               'confusion (x), suggestion (triangle)</text>')
    out.append(f'<rect x="{left}" y="{levels_top}" width="{span}" height="{levels_h}" fill="none" stroke="#ccc"/>')
    for level in (0.0, 0.5, 1.0):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(level)}" y2="{y(level)}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{y(level) + 4}" text-anchor="end">{level:g}</text>')
    for utterance in utterances:
        value = (utterance.get("difficulty") or {}).get("value")
        if value is None:
            continue
        middle = x(0.5 * (float(utterance["start_s"]) + float(utterance["end_s"])))
        out.append(f'<line x1="{middle}" x2="{middle}" y1="{y(0)}" y2="{y(value)}" stroke="#dd8452"/>'
                   f'<circle cx="{middle}" cy="{y(value)}" r="3.5" fill="#dd8452">'
                   f'<title>difficulty {value:.2f}</title></circle>')
    if timeline:
        points: list[str] = []
        for index, point in enumerate(timeline):
            level = float(point["level"])
            if index:
                points.append(f"{x(float(point['time_s']))},{y(float(timeline[index - 1]['level']))}")
            points.append(f"{x(float(point['time_s']))},{y(level)}")
        points.append(f"{x(duration)},{y(float(timeline[-1]['level']))}")
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#c44e52" stroke-width="2"/>')
    for signal in confusion:
        cx, cy = x(float(signal["time_s"])), y(1.05)
        out.append(f'<path d="M{cx - 4},{cy - 4}L{cx + 4},{cy + 4}M{cx - 4},{cy + 4}L{cx + 4},{cy - 4}" '
                   f'stroke="#c44e52" stroke-width="2"><title>{html.escape(str(signal.get("kind")))} at '
                   f'{float(signal["time_s"]):.1f} s</title></path>')
    for suggestion in suggestions:
        cx, cy = x(float(suggestion["time_s"])), y(-0.05)
        out.append(f'<path d="M{cx},{cy - 5}L{cx + 5},{cy + 4}L{cx - 5},{cy + 4}Z" fill="#55a868">'
                   f'<title>{html.escape(str(suggestion.get("category")))} at '
                   f'{float(suggestion["time_s"]):.1f} s</title></path>')
    step = _tick_step(duration)
    axis = levels_top + levels_h
    tick = 0.0
    while tick <= duration + 1e-9:
        out.append(f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{axis}" y2="{axis + 4}" stroke="#888"/>'
                   f'<text x="{x(tick)}" y="{axis + 16}" text-anchor="middle">{tick:g}</text>')
        tick += step
    out.append(f'<text x="{left + span / 2}" y="{axis + 32}" text-anchor="middle">time (s)</text></svg>')
    return "".join(out)


def _highlight(text: str, terms: Sequence[str]) -> str:
    escaped = html.escape(text)
    for term in sorted(set(terms), key=len, reverse=True):
        if term:
            pattern = re.compile(rf"\b({re.escape(html.escape(term))})\b", re.IGNORECASE)
            escaped = pattern.sub(r"<mark>\1</mark>", escaped)
    return escaped


def render_call_html(document: Mapping[str, Any]) -> str:
    """One call's report: verdict, timeline plot, transcript with highlights."""
    from langassist.audit.worker import jargon_terms

    verdict = document.get("verdict", {})
    privacy = document.get("privacy") or {}
    call_id = html.escape(str(document.get("call_id")))
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Call {call_id}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Call {call_id} {_verdict_badge(verdict.get('barrier'))}</h1>",
        f"<p>duration {float(document.get('duration_s') or 0):.1f} s &middot; level "
        f"{'?' if verdict.get('value') is None else format(verdict['value'], '.2f')} &middot; confidence "
        f"{float(verdict.get('confidence') or 0):.2f}",
    ]
    if verdict.get("main_causes"):
        parts.append(" &middot; main causes: " + html.escape(", ".join(verdict["main_causes"])))
    redactions = sum(int(v) for v in (privacy.get("redactions") or {}).values())
    parts.append(f"</p><p class=\"muted\">PII redaction {'on' if privacy.get('redacted') else 'OFF'}"
                 f" &middot; {redactions} redaction(s)</p>")
    parts.append("<h2>Timeline</h2>" + timeline_svg(document))
    speakers = document.get("speakers") or {}
    if speakers:
        parts.append("<h2>Speakers</h2><table><tr><th>track</th><th>language</th><th>accent</th></tr>")
        for track, info in sorted(speakers.items()):
            accent = info.get("accent") or {}
            value = accent.get("value")
            parts.append(f"<tr><td>{html.escape(track)}</td><td>{html.escape(str(info.get('language') or '?'))}"
                         f"</td><td>{'?' if value is None else format(value, '.2f')}</td></tr>")
        parts.append("</table>")
    rows: list[tuple[float, int, str]] = []
    for utterance in document.get("utterances", []):
        difficulty = utterance.get("difficulty") or {}
        value = difficulty.get("value")
        confusion = utterance.get("confusion") or []
        classes = " ".join(c for c, on in (("hard", value is not None and value >= 0.5),
                                           ("confused", bool(confusion))) if on)
        language = (utterance.get("text_language") or {}).get("language") or "?"
        notes = []
        if value is not None:
            notes.append(f"difficulty {value:.2f}")
        notes.extend(html.escape(c["kind"].replace("_", " ")) for c in confusion)
        text = _highlight(str(utterance.get("text") or ""), jargon_terms(difficulty))
        rows.append((float(utterance["start_s"]), 0,
                     f"<tr class=\"{classes}\"><td>{utterance['start_s']:.1f}</td>"
                     f"<td>{html.escape(str(utterance.get('track')))}</td>"
                     f"<td><span class=\"badge\">{html.escape(language)}</span></td><td>{text}</td>"
                     f"<td>{'; '.join(notes)}</td></tr>"))
    for suggestion in document.get("suggestions", []):
        rows.append((float(suggestion["time_s"]), 1,
                     f"<tr class=\"suggestion\"><td>{suggestion['time_s']:.1f}</td><td>suggestion</td>"
                     f"<td><span class=\"badge\">{html.escape(str(suggestion.get('category')))}</span></td>"
                     f"<td>{html.escape(str(suggestion.get('text')))}</td>"
                     f"<td>{html.escape(str(suggestion.get('reason')))}</td></tr>"))
    parts.append("<h2>Transcript</h2><table><tr><th>s</th><th>speaker</th><th>lang</th><th>text</th>"
                 "<th>signals</th></tr>")
    parts.extend(row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1])))
    parts.append("</table>")
    for failure in document.get("failures", []):
        parts.append(f"<p class=\"muted\">stage {html.escape(str(failure.get('stage')))} failed: "
                     f"{html.escape(str(failure.get('message')))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def bar_chart_svg(counts: Mapping[str, float], title: str, *, horizontal: bool = False,
                  limit: int = 12, percent: bool = False) -> str:
    """One bar chart as an inline SVG (the ``limit`` largest values, ties by name);
    ``percent``: values are rates in 0..1 on a 0-100 % axis."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    width, height = 360, 220
    top = 26
    out = [f'<svg class="plot" role="img" aria-label="{html.escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" font-size="10">',
           f'<text x="4" y="14" font-size="12">{html.escape(title)}</text>']
    if not items:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">'
                   "(none)</text></svg>")
        return "".join(out)
    peak = 1.0 if percent else max(max(v for _, v in items), 1e-9)

    def label(value: float) -> str:
        return f"{value:.0%}" if percent else (f"{value:g}" if value != int(value) else str(int(value)))

    if horizontal:
        left, right = 130, 40
        row = (height - top - 6) / len(items)
        for index, (key, value) in enumerate(items):
            y = top + index * row
            bar = (width - left - right) * max(value, 0.0) / peak
            name = str(key) if len(str(key)) <= 22 else str(key)[:21] + "\u2026"
            out.append(f'<text x="{left - 4}" y="{y + row * 0.65:.1f}" text-anchor="end">'
                       f"{html.escape(name)}</text>"
                       f'<rect x="{left}" y="{y + row * 0.15:.1f}" width="{bar:.1f}" '
                       f'height="{row * 0.7:.1f}" fill="{_PALETTE[0]}"><title>{html.escape(str(key))}: '
                       f"{label(value)}</title></rect>"
                       f'<text x="{left + bar + 3:.1f}" y="{y + row * 0.65:.1f}">{label(value)}</text>')
    else:
        left, bottom = 8, 56
        column = (width - 2 * left) / len(items)
        base = height - bottom
        for index, (key, value) in enumerate(items):
            x = left + index * column
            bar = (base - top - 12) * max(value, 0.0) / peak
            name = str(key) if len(str(key)) <= 14 else str(key)[:13] + "\u2026"
            middle = x + column / 2
            out.append(f'<rect x="{x + column * 0.15:.1f}" y="{base - bar:.1f}" width="{column * 0.7:.1f}" '
                       f'height="{bar:.1f}" fill="{_PALETTE[0]}"><title>{html.escape(str(key))}: '
                       f"{label(value)}</title></rect>"
                       f'<text x="{middle:.1f}" y="{base - bar - 3:.1f}" text-anchor="middle">{label(value)}</text>'
                       f'<text transform="translate({middle:.1f},{base + 10}) rotate(30)">'
                       f"{html.escape(name)}</text>")
        out.append(f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#999"/>')
    out.append("</svg>")
    return "".join(out)


def _rate(rows: Sequence[Mapping[str, Any]], column: str) -> dict[str, float]:
    groups: dict[str, list[bool]] = {}
    for row in rows:
        if row.get("barrier") is None:
            continue
        groups.setdefault(str(row.get(column) or "(none)"), []).append(bool(row["barrier"]))
    return {key: sum(values) / len(values) for key, values in groups.items()}


def summary_figures(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The summary plots (each a row of inline SVG bar charts) from the ``calls`` rows."""
    done = [row for row in rows if row.get("status") == "done"]
    figures: dict[str, str] = {}
    known = [row for row in done if row.get("barrier") is not None]
    overall = {"all calls": sum(bool(r["barrier"]) for r in known) / len(known)} if known else {}
    figures["barrier rate"] = _row(
        bar_chart_svg(overall, "barrier rate", percent=True),
        bar_chart_svg(_rate(done, "queue"), "barrier rate by queue", percent=True),
        bar_chart_svg(_rate(done, "agent_id"), "barrier rate by agent", percent=True),
    )
    customer: Counter[str] = Counter(str(r.get("customer_language") or "unknown") for r in done)
    utterance: Counter[str] = Counter()
    for row in done:
        utterance.update({str(k): int(v) for k, v in (row.get("languages") or {}).items()})
    figures["language mix"] = _row(
        bar_chart_svg(customer, "customer language (calls)"),
        bar_chart_svg(utterance, "utterance language (utterances)"),
    )
    causes: Counter[str] = Counter(c for r in done for c in r.get("main_causes") or [])
    jargon: Counter[str] = Counter(t for r in done for t in r.get("jargon_before_confusion") or [])
    suggestions: Counter[str] = Counter()
    for row in done:
        suggestions.update({str(k): int(v) for k, v in (row.get("suggestion_categories") or {}).items()})
    figures["causes, jargon, suggestions"] = _row(
        bar_chart_svg(causes, "top barrier causes", horizontal=True),
        bar_chart_svg(jargon, "top jargon before confusion", horizontal=True),
        bar_chart_svg(suggestions, "suggestions by category"),
    )
    return figures


def _row(*charts: str) -> str:
    return '<div class="charts">' + "".join(charts) + "</div>"


def render_summary_html(rows: Sequence[Mapping[str, Any]], run: Mapping[str, Any]) -> str:
    """The aggregate report over all calls of an audit."""
    done = [row for row in rows if row.get("status") == "done"]
    failed = [row for row in rows if row.get("status") != "done"]
    known = [row for row in done if row.get("barrier") is not None]
    barriers = sum(bool(r["barrier"]) for r in known)
    audio_h = sum(float(r.get("audio_s") or 0.0) for r in done) / 3600.0
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Audit summary</title><style>{_STYLE}</style></head><body>",
        "<h1>Language-barrier audit</h1>",
        f"<p>{len(rows)} call(s): {len(done)} assessed, {len(failed)} quarantined &middot; "
        f"{barriers} of {len(known)} with a known verdict show a barrier"
        f"{f' ({barriers / len(known):.0%})' if known else ''} &middot; {audio_h:.2f} h of audio"
        f" &middot; redactions: {sum(int(r.get('redactions') or 0) for r in done)}"
        f" (PII redaction {'on' if run.get('redact', True) else 'OFF'})</p>",
    ]
    for title, charts in summary_figures(rows).items():
        parts.append(f"<h2>{html.escape(title)}</h2>" + charts)
    parts.append("<h2>Calls</h2><table><tr><th>call</th><th>verdict</th><th>level</th><th>queue</th>"
                 "<th>agent</th><th>customer language</th><th>main causes</th></tr>")
    for row in done:
        name = html.escape(str(row.get("report") or ""))
        value = row.get("barrier_value")
        parts.append(
            f"<tr><td><a href=\"{name}\">{html.escape(str(row.get('call_id')))}</a></td>"
            f"<td>{_verdict_badge(row.get('barrier'))}</td>"
            f"<td>{'?' if value is None else format(value, '.2f')}</td>"
            f"<td>{html.escape(str(row.get('queue') or ''))}</td>"
            f"<td>{html.escape(str(row.get('agent_id') or ''))}</td>"
            f"<td>{html.escape(str(row.get('customer_language') or '?'))}</td>"
            f"<td>{html.escape(', '.join(row.get('main_causes') or []))}</td></tr>")
    parts.append("</table>")
    if failed:
        parts.append("<h2>Quarantined</h2><table><tr><th>call</th><th>input</th><th>reason</th>"
                     "<th>detail</th></tr>")
        for row in failed:
            parts.append(f"<tr><td>{html.escape(str(row.get('call_id')))}</td>"
                         f"<td>{html.escape(str(row.get('input')))}</td>"
                         f"<td>{html.escape(str(row.get('reason')))}</td>"
                         f"<td>{html.escape(str(row.get('message')))}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)
