"""``langassist models pull`` for translation models: fetch or take a Marian/NLLB
checkpoint, check it, and convert it to CTranslate2 once.

A translation manifest (``models/opus-mt-en-de.toml``: ``role = "translation"``,
``backend = "ctranslate2"``) names the Hugging Face files of the checkpoint. Two ways
in, one place out:

* **online**: the catalog downloads the files from the Hub (``--allow-download``) and
  checks each against the checksum the manifest pins or, where it pins none
  (``missing_checksums = "hub"``), the SHA-256/git blob id the Hub reports;
* **offline** (``--from-dir DIR``): a directory saved with ``save_pretrained`` (or
  copied from another machine); every file of it that the manifest pins a checksum
  for is hashed and must match, and the SHA-256 of every file is recorded.

Either way the checkpoint is converted into :func:`converted_dir`
(``<cache>/translation/<name>``) with the sidecar of
:mod:`langassist.translate.ctranslate2_marian` (``model.bin``'s SHA-256, verified at
every load). The model resolver of the service finds it there by manifest name, so a
route ``en-de=ctranslate2:opus-mt-en-de`` works after either kind of pull.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from langassist.errors import ConfigError, ModelIntegrityError, ModelUnavailable
from langassist.translate.ctranslate2_marian import (
    INFO_FILE,
    TranslationModelInfo,
    convert_translation_model,
    sha256_file,
)

if TYPE_CHECKING:
    from langassist.catalog import Catalog, Manifest

__all__ = ["converted_dir", "find_converted", "pull_translation_model"]

logger = logging.getLogger(__name__)


def converted_dir(cache_dir: str | Path, name: str) -> Path:
    """Where the CTranslate2 conversion of translation model ``name`` lives."""
    return Path(cache_dir).expanduser() / "translation" / name


def find_converted(cache_dir: str | Path, name: str) -> Path | None:
    """The converted directory of ``name`` when a pull made one, else ``None``."""
    directory = converted_dir(cache_dir, name)
    return directory if (directory / INFO_FILE).is_file() else None


def _git_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def check_local_checkpoint(manifest: Manifest, directory: Path) -> dict[str, str]:
    """Hash every file of ``directory``; files the manifest pins must match.

    Returns:
        file name -> SHA-256 for every regular file in ``directory`` (recorded in the
        converted model's sidecar).

    Raises:
        ModelUnavailable: ``directory`` is not a model directory.
        ModelIntegrityError: a file differs from the manifest's checksum or size.
    """
    if not (directory / "config.json").is_file():
        raise ModelUnavailable(
            f"{directory} is not a Hugging Face model directory (no config.json): pass the "
            "folder a Marian/NLLB checkpoint was saved to with save_pretrained"
        )
    pinned = {spec.name: spec for spec in manifest.files}
    hashes: dict[str, str] = {}
    checked = 0
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        hashes[path.name] = sha256_file(path)
        spec = pinned.get(path.name)
        if spec is None or not spec.recorded:
            continue
        if spec.size is not None and path.stat().st_size != spec.size:
            raise ModelIntegrityError(
                f"{path} is {path.stat().st_size} bytes, the manifest of {manifest.name!r} "
                f"pins {spec.size}: this is not the checkpoint the catalog names"
            )
        if spec.sha256 is not None:
            actual, expected, label = hashes[path.name], spec.sha256, "SHA-256"
        else:
            actual, expected, label = _git_sha1(path), spec.git_sha1 or "", "git blob id"
        if actual != expected:
            raise ModelIntegrityError(
                f"{path} has {label} {actual}, the manifest of {manifest.name!r} pins "
                f"{expected}: this is not the checkpoint the catalog names"
            )
        checked += 1
    if checked == 0:
        logger.warning(
            "model %s: the manifest pins no checksum for the files in %s; their SHA-256 "
            "is recorded in the converted model, not checked", manifest.name, directory,
        )
    return hashes


def pull_translation_model(
    catalog: Catalog,
    name: str,
    *,
    from_dir: str | Path | None = None,
    allow_download: bool = False,
    quantization: str = "int8",
    force: bool = False,
) -> Path:
    """Make translation model ``name`` ready for the CTranslate2 backend; return its directory.

    Args:
        catalog: the model catalog (its cache folder receives the conversion).
        name: a manifest with ``role = "translation"``.
        from_dir: convert this local checkpoint instead of downloading (offline).
        allow_download: allow the Hub download when ``from_dir`` is not given.
        quantization: CTranslate2 weight quantization of the conversion.
        force: convert again even if a conversion exists.

    Raises:
        ConfigError: ``name`` is not a translation model.
        ModelUnavailable: no local directory and downloads are off (the message says how).
        ModelIntegrityError: a file does not match its checksum.
    """
    manifest = catalog.get(name)
    if manifest.role != "translation":
        raise ConfigError(f"model {name!r} is a {manifest.role} model, not a translation model")
    output = converted_dir(catalog.cache_dir, name)
    if from_dir is not None:
        checkpoint = Path(from_dir).expanduser()
        hashes = check_local_checkpoint(manifest, checkpoint)
        origin = f"{checkpoint.resolve()} (local directory)"
    else:
        try:
            checkpoint = catalog.pull(name, allow_download)  # downloads and verifies
        except ModelUnavailable as exc:
            raise ModelUnavailable(
                f"{exc}; offline, convert a local copy of the checkpoint instead: "
                f"langassist models pull {name} --from-dir DIR"
            ) from exc
        hashes = {spec.name: sha256_file(checkpoint / spec.name) for spec in manifest.files}
        origin = f"{name}: {checkpoint}"
    existing = find_converted(catalog.cache_dir, name)
    if existing is not None and not force:
        sidecar = json.loads((existing / INFO_FILE).read_text(encoding="utf-8"))
        if sidecar.get("source_files") == hashes and sidecar.get("quantization") == quantization:
            logger.info("model %s is already converted from these files in %s", name, existing)
            return existing
    source = target = None
    if manifest.backend == "ctranslate2" and len(manifest.languages) == 2:
        source, target = manifest.languages
    output.parent.mkdir(parents=True, exist_ok=True)
    info: TranslationModelInfo = convert_translation_model(
        checkpoint, output, source=source, target=target, quantization=quantization, force=True
    )
    sidecar = json.loads((output / INFO_FILE).read_text(encoding="utf-8"))
    sidecar["origin"] = origin
    sidecar["manifest"] = {"name": manifest.name, "version": manifest.version}
    sidecar["source_files"] = hashes
    (output / INFO_FILE).write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    logger.info("converted %s (%s, %s) into %s", name, info.family, quantization, output)
    return output
