"""The build hook that compiles the optional C extension (hatch_build.py)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("hatchling", reason="hatchling (the build backend) is in the dev extra")
sys.path.insert(0, str(ROOT))
import hatch_build  # noqa: E402


def test_the_extension_compiles_and_loads(tmp_path: Path) -> None:
    if not any(shutil.which(name) for name in ("cc", "gcc", "clang")):
        pytest.skip("no C compiler on this machine")
    target = tmp_path / "_cascade.so"
    assert hatch_build.compile_extension(ROOT / hatch_build.SOURCE, target) is None
    spec = importlib.util.spec_from_file_location("_cascade", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from langassist.langid.lexicon import word_key
    from langassist.langid.native import ABI_VERSION

    assert module.ABI_VERSION == ABI_VERSION
    assert module.word_key("haus") == word_key("haus")


def test_a_failed_compile_is_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken.c"
    broken.write_text("this is not C\n", encoding="utf-8")
    if not any(shutil.which(name) for name in ("cc", "gcc", "clang")):
        pytest.skip("no C compiler on this machine")
    error = hatch_build.compile_extension(broken, tmp_path / "broken.so")
    assert error is not None and "failed" in error


def test_no_compiler_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "no-such-compiler-here")
    monkeypatch.setattr(hatch_build.shutil, "which", lambda name: None)
    error = hatch_build.compile_extension(ROOT / hatch_build.SOURCE, tmp_path / "x.so")
    assert error is not None and "no C compiler" in error
