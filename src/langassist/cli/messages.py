"""One-line error messages for the commands that work through several files."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

__all__ = ["file_error"]


def file_error(path: str | Path, error: object) -> str:
    """``error: PATH: MESSAGE`` as Rich markup, naming the file once: most input errors
    start with the file's name, which then gives way to PATH as the user wrote it."""
    full, message = str(path), str(error)
    if message.startswith(full):
        text = message
    elif (name := Path(full).name) and message.startswith(name) and message[len(name):][:1] in (" ", ":"):
        text = full + message[len(name):]
    else:
        text = f"{full}: {message}"
    return f"[bold red]error:[/] {escape(text)}"
