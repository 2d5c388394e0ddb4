"""T23 for the audit's inputs: spaces, unicode, symlinks, globs, manifests, safe names."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from audit_helpers import write_chat
from langassist.audit.inputs import InputRef, collect_inputs, plan_tasks


def test_spaces_unicode_globs_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "in put"
    (root / "sub dir").mkdir(parents=True)
    write_chat(root / "llamada número 1.jsonl", 1)
    write_chat(root / "sub dir" / "通话 2.jsonl", 2)
    outside = tmp_path / "outside"
    outside.mkdir()
    write_chat(outside / "secret.jsonl", 3)
    (root / "escape.jsonl").symlink_to(outside / "secret.jsonl")
    (root / "inside.jsonl").symlink_to(root / "llamada número 1.jsonl")
    refs = {ref.call_id: ref for ref in collect_inputs([root])}
    assert {"llamada número 1", "通话 2", "escape"} <= set(refs)
    assert refs["escape"].refused and not refs["llamada número 1"].refused
    assert refs["inside"].refused is None
    globbed = collect_inputs([str(tmp_path / "in put" / "**" / "*.jsonl")])
    assert "通话 2" in {ref.call_id for ref in globbed}
    named = collect_inputs([root / "escape.jsonl"])  # named explicitly: followed
    assert named[0].refused is None


def test_manifest_jsonl_relative_paths(tmp_path: Path) -> None:
    write_chat(tmp_path / "a b.jsonl", 1)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "a b.jsonl", "call_id": "../../etc/passwd", "queue": "q1", "team": "x"}\n',
                        encoding="utf-8")
    (ref,) = collect_inputs([manifest])
    assert ref.path == (tmp_path / "a b.jsonl").absolute() and ref.extra == {"team": "x"}
    (task,) = plan_tasks([ref], "cfg")
    assert "/" not in task.name and ".." not in task.name


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=6))
def test_output_names_are_generated_safe_and_unique(call_ids: list[str]) -> None:
    refs = [InputRef(path=Path(f"/nonexistent/{i}.jsonl"), call_id=c) for i, c in enumerate(call_ids)]
    tasks = plan_tasks(refs, "cfg")
    assert len(tasks) == len(set(call_ids))
    names = [task.name.lower() for task in tasks]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z0-9._-]{1,100}", name) and not name.startswith(".")
