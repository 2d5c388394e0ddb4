"""``langassist assess``: the barrier assessment of calls, from audio, transcripts or chat.

Thin: load settings, call :func:`langassist.service.assess_files`, render text (rich)
or JSON, one line on standard error per input that failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from langassist import service
from langassist.cli.messages import file_error
from langassist.errors import LangassistError

__all__ = ["assess_command", "render_assessment_text"]

stderr = Console(stderr=True)


def _bar(value: float | None, width: int = 10) -> str:
    if value is None:
        return "?" * width
    filled = int(round(max(0.0, min(1.0, value)) * width))
    return "#" * filled + "." * (width - filled)


def _reasons(score: dict[str, Any], count: int = 3) -> str:
    details = [r["detail"] for r in score.get("reasons", []) if r.get("detail")][:count]
    return "; ".join(details)


TEXT_VIEW_MAX_CHARS = 400
"""The text view shows at most this many characters of an utterance or a suggestion
(JSON keeps all)."""


def _shown_text(text: str, limit: int = TEXT_VIEW_MAX_CHARS) -> str:
    """``text`` on one line, cut at a word boundary after ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    head = text[: cut if cut > limit // 2 else limit]
    return f"{head} ... ({len(text) - len(head)} more characters; --format json has them all)"


def render_assessment_text(document: dict[str, Any]) -> str:
    """A person-readable summary of one assessment document."""
    lines: list[str] = []
    verdict = document["verdict"]
    barrier = verdict["barrier"]
    label = "unknown" if barrier is None else ("BARRIER" if barrier else "no barrier")
    value = verdict.get("value")
    lines.append(f"== {document['call_id']} ({document['duration_s']:.1f} s) ==")
    level = "?" if value is None else f"{value:.2f}"
    confidence = verdict.get("confidence") or 0.0
    lines.append(f"verdict: {label}  level {level}  confidence {confidence:.2f}")
    if verdict.get("main_causes"):
        lines.append("main causes: " + ", ".join(verdict["main_causes"]))
    for track, speaker in sorted(document.get("speakers", {}).items()):
        parts = [f"{track}:"]
        if speaker.get("language"):
            parts.append(f"language {speaker['language']}")
        accent = speaker.get("accent")
        if accent:
            accent_value = accent.get("value")
            shown = "?" if accent_value is None else f"{accent_value:.2f}"
            parts.append(f"accent {shown}")
            if accent.get("likely_first_language"):
                parts.append(f"(likely first language {accent['likely_first_language']})")
        lines.append("  " + " ".join(parts))
    mismatch = document.get("mismatch")
    if mismatch:
        score = mismatch["score"]
        shown = "?" if score.get("value") is None else f"{score['value']:.2f}"
        lines.append(f"  mismatch {shown}: {_reasons(score, 2)}")
    lines.append("")
    for utterance in document["utterances"]:
        badge = ""
        text_language = utterance.get("text_language")
        if text_language:
            badge = f"[{text_language.get('language') or '??'}]"
        lines.append(f"{utterance['start_s']:7.1f}s {utterance['track']:>8} {badge:5} {_shown_text(utterance['text'])}")
        difficulty = utterance.get("difficulty")
        if difficulty:
            lines.append(f"{'':17}difficulty {_bar(difficulty.get('value'))} "
                         f"{'' if difficulty.get('value') is None else format(difficulty['value'], '.2f')}"
                         f"  {_reasons(difficulty)}")
        for signal in utterance.get("confusion", []):
            lines.append(f"{'':17}confusion: {signal['kind'].replace('_', ' ')} "
                         f"({signal.get('value') or 0:.2f}) {_reasons(signal, 1)}")
    other = [c for c in document.get("confusion", []) if not c.get("utterance_id")]
    for signal in other:
        lines.append(f"{signal['time_s']:7.1f}s confusion: {signal['kind'].replace('_', ' ')} "
                     f"{_reasons(signal['score'], 1)}")
    if document.get("suggestions"):
        lines.append("")
        lines.append("suggestions:")
        for suggestion in document["suggestions"]:
            lines.append(f"{suggestion['time_s']:7.1f}s [{suggestion['category']}] {_shown_text(suggestion['text'])}")
            lines.append(f"{'':9}why: {suggestion['reason']}")
    for failure in document.get("failures", []):
        lines.append(f"stage {failure['stage']} failed at {failure['time_s']:.1f} s: {failure['message']}")
    return "\n".join(lines) + "\n"


def assess_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Recordings (WAV, FLAC, MP3, OGG, M4A), transcripts from "
            "`langassist transcribe -f json`, or chat logs (JSONL of speaker/text/time).",
            show_default=False,
        ),
    ],
    agent_languages: Annotated[
        str | None,
        typer.Option(help="Languages the agent can serve, comma-separated ISO 639-1 codes (e.g. en,es)."),
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option(help="Languages the call may be in (e.g. the queue's: en,es). Speech is "
                     "decoded in the most probable of them. Default: any language."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Speech model for recordings (see `langassist models list`)."),
    ] = None,
    channels: Annotated[
        str | None,
        typer.Option(help="Names of a stereo recording's channels in order, e.g. agent,customer."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write one <call>.assessment.json/.txt per input into this folder."),
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", help="Pipeline settings file or name from pipelines/.",
                     envvar="LANGASSIST_PIPELINE"),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(help="Redact card numbers, phone numbers, e-mails, IBANs and ids in the output."),
    ] = True,
) -> None:
    """Assess each call for language barriers: languages, accent, difficulty, confusion.

    Works from a recording (transcribed first), a transcript JSON or a chat log. Every
    score comes with the reasons that drove it; "unknown" means too little evidence.
    Inputs that cannot be used are reported one line each; the exit code is 1 when any failed.
    """
    if fmt not in ("text", "json"):
        stderr.print(f"[bold red]error:[/] --format {fmt!r} is not one of text, json", highlight=False)
        raise typer.Exit(1)
    overrides = {
        key: value
        for key, value in {
            "assessment.agent_languages": agent_languages,
            "asr.model": model,
            "asr.candidate_languages": languages,
            "audio.channel_tracks": channels,
            "privacy.redact": None if redact else False,
        }.items()
        if value is not None
    }
    try:
        settings = service.load_settings(pipeline, overrides=overrides)
    except LangassistError as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for outcome in service.assess_files(files, settings):
        if outcome.assessment is None:
            failures += 1
            stderr.print(file_error(outcome.path, outcome.error), highlight=False, soft_wrap=True)
            continue
        document = service.redacted_document(outcome.assessment, settings)
        if fmt == "json":
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        else:
            text = render_assessment_text(document)
        if out is not None:
            suffix = "assessment.json" if fmt == "json" else "assessment.txt"
            target = out / f"{outcome.path.stem}.{suffix}"
            target.write_text(text, encoding="utf-8")
            stderr.print(f"wrote {escape(str(target))}", highlight=False)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    if failures:
        raise typer.Exit(1)
