"""``langassist serve``: the live local API on loopback (thin over ``service``)."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from typing import Annotated

import typer

from langassist import service
from langassist.errors import LangassistError

__all__ = ["serve_command"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind. Only loopback is allowed.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8765,
    token: Annotated[
        str | None,
        typer.Option(help="API token (at least 16 characters); generated and printed when absent.",
                     envvar="LANGASSIST_API_TOKEN", show_default=False),
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", help="Pipeline settings file or name (default: live).",
                     envvar="LANGASSIST_PIPELINE"),
    ] = "live",
    dev: Annotated[bool, typer.Option(help="Enable /docs.")] = False,
) -> None:
    """Serve the live API and the agent sidebar on this machine."""
    from rich.console import Console

    stderr = Console(stderr=True)
    if not _is_loopback(host):
        stderr.print("[bold red]error:[/] refusing a non-loopback bind without TLS; use 127.0.0.1")
        raise typer.Exit(1)
    if token is not None and len(token) < 16:
        stderr.print("[bold red]error:[/] --token must be at least 16 characters")
        raise typer.Exit(1)
    try:
        settings = service.load_settings(pipeline) if pipeline else service.load_settings()
        import uvicorn

        from langassist.api.app import create_app
        from langassist.pii import install_log_redaction

        transcriber = service.create_transcriber(settings)
        token = token or secrets.token_urlsafe(24)
        app = create_app(
            settings,
            token=token,
            assessor_factory=lambda: service.create_assessor(settings),
            stage_factory=lambda: service.create_streaming_stage(settings, transcriber),
            translator_factory=lambda: service.create_translation_router(settings),
            dev=dev,
            twilio_auth_token=os.environ.get("LANGASSIST_TWILIO_AUTH_TOKEN") or None,
        )
    except LangassistError as error:
        stderr.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    install_log_redaction()
    logging.getLogger("uvicorn.access").disabled = True  # no URLs in logs
    typer.echo(f"token: {token}")
    typer.echo(f"sidebar: http://{host}:{port}/sidebar  (paste the token once; it is kept in an "
               "HttpOnly cookie, never in a URL)")
    if os.environ.get("LANGASSIST_TWILIO_AUTH_TOKEN"):
        typer.echo("twilio: /v1/twilio requires a valid X-Twilio-Signature")
    live = settings.live  # the transport's frame cap: the largest text or audio frame plus headroom
    ws_max_size = max(live.max_text_bytes, 1 + 2 * int(16000 * live.max_audio_frame_s)) + 1024
    uvicorn.run(app, host=host, port=port, ws_max_size=ws_max_size, access_log=False,
                log_level="info", proxy_headers=False, server_header=False)
