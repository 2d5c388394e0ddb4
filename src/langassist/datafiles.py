"""Editable data files: a bundled default in ``langassist/data`` and a user file over it.

The glossary and the phrasebook are both TOML files that users extend: the bundled file
is read first, then the user's file (named in the settings) is merged over it. These
two helpers are the part they share: reading the bundled text, and reading the user's
file with errors that say which setting points where and what layout to follow.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from langassist.errors import ConfigError

__all__ = ["bundled_text", "read_user_file"]


def bundled_text(name: str) -> str:
    """The text of ``langassist/data/<name>``."""
    return resources.files("langassist").joinpath("data", name).read_text(encoding="utf-8")


def read_user_file(path: str | Path, *, label: str, noun: str, layout: str) -> tuple[Path, str]:
    """Read a user data file; return its expanded path and UTF-8 text.

    Args:
        path: the file as the settings give it.
        label: how the error names the setting (``"phrasebook 'x.toml'"``).
        noun: what the file is, for read errors (``"glossary"``).
        layout: the bundled file whose layout it must follow.

    Raises:
        ConfigError: the file is missing or not UTF-8 text.
    """
    user_path = Path(path).expanduser()
    if not user_path.is_file():
        raise ConfigError(
            f"{label}: no such file; give a TOML {noun} in the layout of langassist/data/{layout}"
        )
    try:
        return user_path, user_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{noun} {user_path} cannot be read as UTF-8 text: {exc}") from exc
