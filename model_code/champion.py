"""Find and load the champion model: an unpacked model directory or a folder holding model.tar.gz."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

from model_code.artifacts import MODEL_FILE, ModelLoadError
from model_code.predictor import SentimentPredictor


def load_champion(path: str | Path, scratch: Path | None = None) -> SentimentPredictor:
    """Load from ``path`` (model dir, or dir/file with model.tar.gz); tarballs unpack into ``scratch``."""
    path = Path(path)
    if (path / MODEL_FILE).is_file():
        return SentimentPredictor.load(path)
    tarball = path if path.is_file() else path / "model.tar.gz"
    if not tarball.is_file():
        raise ModelLoadError(f"champion: no {MODEL_FILE} or model.tar.gz in {path}")
    target = Path(tempfile.mkdtemp(prefix="champion-", dir=scratch))
    try:
        with tarfile.open(tarball, "r:*") as archive:
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            archive.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise ModelLoadError(f"champion: cannot unpack {tarball}: {error}") from None
    return SentimentPredictor.load(target)
