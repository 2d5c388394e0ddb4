"""``langassist replay CALL.wav --server URL``: stream a recording to a live server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from langassist.errors import LangassistError

__all__ = ["replay_command"]


def _line(message: dict[str, Any]) -> str | None:
    kind = message.get("type")
    track = message.get("track", "")
    if kind == "TranscriptFinal":
        return f"[{float(message.get('end_s') or 0):7.2f}s] {track}: {message.get('text', '')}"
    if kind == "SuggestionProposed":
        return f"           suggestion ({message.get('category')}): {message.get('text', '')}"
    if kind == "ConfusionDetected":
        return f"           alert: {str(message.get('kind', '')).replace('_', ' ')} ({track})"
    if kind == "LanguageDetected" and message.get("speaker_language"):
        return None  # shown in the summary; one per utterance would be noise
    if kind == "StageFailed":
        return f"           stage failed: {message.get('stage')}: {message.get('message')}"
    return None


def replay_command(
    call: Annotated[Path, typer.Argument(help="The recording (WAV, FLAC, ...): stereo = agent + customer.",
                                         exists=True, dir_okay=False, show_default=False)],
    server: Annotated[str, typer.Option(help="The server's URL.")] = "http://127.0.0.1:8765",
    protocol: Annotated[str, typer.Option(help="native (PCM16 over /v1/stream) or twilio (Media Streams).")] = "native",
    token: Annotated[str | None, typer.Option(help="API token (as printed by `langassist serve`).",
                                              envvar="LANGASSIST_API_TOKEN", show_default=False)] = None,
    speed: Annotated[float, typer.Option(help="Replay speed: 1.0 is real time.", min=0.01, max=1000)] = 1.0,
    agent_channel: Annotated[str, typer.Option(help="Which channel of a stereo file is the agent: left or right.")] = "left",
    call_id: Annotated[str | None, typer.Option(help="Call id (Twilio: the callSid); default: a random one.")] = None,
    sample_rate: Annotated[int, typer.Option(help="Native PCM rate: 8000 or 16000.")] = 16000,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report (latencies, events) as JSON here.")] = None,
    quiet: Annotated[bool, typer.Option(help="Print only the summary.")] = False,
    drain_timeout: Annotated[float, typer.Option(help="Seconds to wait for the results after the audio.")] = 120.0,
) -> None:
    """Stream a recording to a running `langassist serve` in real time, as a phone platform would.

    Prints final utterances, alerts and suggestions as they arrive, then per-utterance latency: end of speech to the final's arrival and start of speech to the first partial (wall seconds).
    """
    from rich.console import Console

    from langassist.client import ReplayError, load_call_audio, replay

    stderr = Console(stderr=True)
    if protocol not in ("native", "twilio"):
        stderr.print(f"[bold red]error:[/] --protocol {protocol!r} is not native or twilio")
        raise typer.Exit(1)
    if agent_channel not in ("left", "right"):
        stderr.print(f"[bold red]error:[/] --agent-channel {agent_channel!r} is not left or right")
        raise typer.Exit(1)
    if sample_rate not in (8000, 16000):
        stderr.print("[bold red]error:[/] --sample-rate must be 8000 or 16000")
        raise typer.Exit(1)
    if not token:
        stderr.print("[bold red]error:[/] give --token (or LANGASSIST_API_TOKEN): `langassist serve` prints it")
        raise typer.Exit(1)

    def show(message: dict[str, Any]) -> None:
        line = None if quiet else _line(message)
        if line:
            typer.echo(line)

    try:
        audio = load_call_audio(call, agent_channel=agent_channel)  # type: ignore[arg-type]
        if not quiet:
            typer.echo(f"replaying {call.name} ({audio.duration_s:.1f} s, tracks {', '.join(audio.tracks)}) "
                       f"to {server} over {protocol} at {speed:g}x")
        report = asyncio.run(replay(audio, server, token=token, protocol=protocol,  # type: ignore[arg-type]
                                    speed=speed, call_id=call_id, sample_rate_hz=sample_rate,  # type: ignore[arg-type]
                                    on_event=show, drain_timeout_s=drain_timeout))
    except (LangassistError, ReplayError, ValueError, OSError) as error:
        stderr.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    stats = report.latency_stats()
    typer.echo(f"\ncall {report.call_id}: {len(report.utterances)} final utterances, "
               f"{len(report.suggestions)} suggestions, {report.audio_s:.1f} s audio in {report.wall_s:.1f} s")
    if report.summary is not None:
        score = (report.summary.get("score") or {}).get("value")
        causes = ", ".join(report.summary.get("main_causes") or []) or "none"
        typer.echo(f"barrier: {report.summary.get('barrier')} (score {score}), causes: {causes}")
    typer.echo(f"{'utterance':<14} {'track':<9} {'end s':>7} {'final s':>8} {'1st partial s':>13}  text")
    for u in report.utterances:
        first = "-" if u.first_partial_latency_s is None else f"{u.first_partial_latency_s:.2f}"
        typer.echo(f"{u.utterance_id[:14]:<14} {u.track:<9} {u.end_s:7.2f} {u.final_latency_s:8.2f} {first:>13}  "
                   f"{u.text[:60]}")

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    typer.echo(f"latency (wall s): final p50 {fmt(stats['final_p50_s'])}, p95 {fmt(stats['final_p95_s'])}; "
               f"first partial p50 {fmt(stats['first_partial_p50_s'])}, p95 {fmt(stats['first_partial_p95_s'])}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")
    if not report.complete:
        stderr.print("[bold yellow]warning:[/] the call summary did not arrive before --drain-timeout")
        raise typer.Exit(2)
