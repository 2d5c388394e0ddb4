"""Build hook: compile the optional C extension ``langassist.langid._cascade``.

The extension is the compiled per-call path of the text language ID cascade
(``src/langassist/langid/_cascade.c``, plain CPython API, no numpy headers). It is
optional: when no C compiler is found, or compiling fails, the build goes on without it
and the package runs the same cascade in Python (a warning says so). Set
``LANGASSIST_NO_NATIVE=1`` to skip it on purpose.

A regular wheel gets the module as a platform-specific file; an editable install
(``pip install -e .``) compiles it next to its source, where the editable path finds it
(``git`` ignores it). Reinstall after changing the C source.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src/langassist/langid/_cascade.c")
MODULE = "langassist/langid/_cascade"


def _compiler() -> list[str] | None:
    configured = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    command = shlex.split(configured)
    if command and shutil.which(command[0]):
        return command
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return [name]
    return None


def compile_extension(source: Path, target: Path) -> str | None:
    """Compile ``source`` into the shared object ``target``; the error text, or ``None``."""
    compiler = _compiler()
    if compiler is None:
        return "no C compiler found (set CC, or install gcc)"
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        return f"Python headers not found in {include} (install the python3-dev package)"
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [*compiler, "-O2", "-fPIC", "-shared", f"-I{include}", str(source), "-o", str(target), "-lm"]
    if sys.platform == "darwin":
        command[1:1] = ["-undefined", "dynamic_lookup"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{shlex.join(command)}: {exc}"
    if result.returncode != 0:
        return f"{shlex.join(command)} failed:\n{result.stderr.strip()}"
    return None


class CascadeBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("LANGASSIST_NO_NATIVE", "") not in ("", "0"):
            return
        root = Path(self.root)
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        if version == "editable":
            target = root / f"src/{MODULE}{suffix}"
        else:
            target = Path(tempfile.mkdtemp(prefix="langassist-native-")) / f"_cascade{suffix}"
        error = compile_extension(root / SOURCE, target)
        if error is not None:
            self.app.display_warning(
                f"langassist: the compiled language ID cascade was not built ({error}); "
                "the Python cascade will run instead (same results, slower per call)"
            )
            return
        if version != "editable":
            build_data["force_include"][str(target)] = f"{MODULE}{suffix}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
