"""The training sample stored with a version: what production monitoring compares fresh rows with.

When a version is registered, a bounded, seeded sample of the rows it was trained on (at most
:data:`MAX_SAMPLE_ROWS`, features and target) is stored beside it as ``training_sample.csv``, and
its row count, target and sha256 are recorded in the version's metadata (``training_sample``).
``gapgates monitor`` reads it back (:func:`load_training_sample`) to measure drift; a version
registered before samples were stored has none and cannot be monitored for drift.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gapgates.errors import RegistryError
from gapgates.registry.base import Registry
from gapgates.registry.files import sha256_bytes

__all__ = ["MAX_SAMPLE_ROWS", "SAMPLE_FILE", "TrainingSample", "load_training_sample", "training_sample"]

#: The file name of the sample in a version.
SAMPLE_FILE = "training_sample.csv"
#: The most rows stored (drawn without replacement, seeded, when the training data has more).
MAX_SAMPLE_ROWS = 5000
#: The largest sample file read back (a file gapgates wrote is far smaller).
MAX_SAMPLE_BYTES = 64 << 20


@dataclass(frozen=True)
class TrainingSample:
    """A sample of a version's training rows.

    Attributes:
        table: The sampled rows: feature columns in training order, then the target.
        target: The target column's name.
        rows: Rows in the sample.
        of_rows: Training rows it was drawn from.
        sha256: sha256 of the stored CSV file.
    """

    table: pd.DataFrame
    target: str
    rows: int
    of_rows: int
    sha256: str

    @property
    def features(self) -> list[str]:
        """The feature columns, in training order."""
        return [c for c in self.table.columns if c != self.target]

    def metadata(self) -> dict[str, Any]:
        """The ``training_sample`` entry of the version's metadata."""
        return {"file": SAMPLE_FILE, "target": self.target, "rows": self.rows, "of_rows": self.of_rows, "sha256": self.sha256}


def training_sample(
    X: pd.DataFrame, y: pd.Series, *, target: str, seed: int = 0, max_rows: int = MAX_SAMPLE_ROWS
) -> tuple[TrainingSample, str]:
    """A bounded, seeded sample of training rows and its CSV text.

    Args:
        X: Training features.
        y: Training target.
        target: The target column's name.
        seed: Seed of the draw.
        max_rows: The most rows kept.

    Returns:
        The sample and the CSV text to store.

    Example:
        >>> X = pd.DataFrame({"a": range(10)}); y = pd.Series([0, 1] * 5)
        >>> sample, text = training_sample(X, y, target="y", max_rows=4)
        >>> sample.rows, sample.of_rows, text.splitlines()[0]
        (4, 10, 'a,y')
    """
    rows = min(len(X), max_rows)
    while True:  # draw positions first: the training frame is never copied whole
        positions = np.sort(np.random.default_rng(seed).choice(len(X), size=rows, replace=False))
        table = X.iloc[positions].copy()
        table[target] = np.asarray(y)[positions]
        text = table.to_csv(index=False)
        if len(text.encode("utf-8")) <= MAX_SAMPLE_BYTES or rows <= 1:  # very wide rows: fewer of them
            break
        rows //= 2
    sample = TrainingSample(
        table=table.reset_index(drop=True),
        target=target,
        rows=len(table),
        of_rows=len(X),
        sha256=sha256_bytes(text.encode("utf-8")),
    )
    return sample, text


def load_training_sample(registry: Registry, version: str, *, metadata: dict[str, Any]) -> TrainingSample:
    """Read back the sample stored with a version and check it against its recorded sha256.

    Args:
        registry: The registry holding the version.
        version: The version.
        metadata: The version's metadata (its ``training_sample`` entry).

    Returns:
        The sample.

    Raises:
        RegistryError: When the version has no sample (registered before samples were stored), or
            the file does not match its checksum or cannot be parsed.
    """
    entry = metadata.get("training_sample")
    data = registry.document(version, SAMPLE_FILE) if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or data is None:
        raise RegistryError(
            f"Version {version} has no training sample stored with it (it was registered before gapgates stored one), "
            "so drift cannot be measured. Register and promote the model again with this gapgates version."
        )
    if len(data) > MAX_SAMPLE_BYTES:
        raise RegistryError(
            f"The training sample of version {version} is {len(data):,} bytes, more than gapgates "
            f"writes ({MAX_SAMPLE_BYTES:,}); refusing to read it. Register the model again."
        )
    digest = sha256_bytes(data)
    if digest != entry.get("sha256"):
        raise RegistryError(
            f"The training sample of version {version} does not match its recorded sha256 (expected "
            f"{str(entry.get('sha256'))[:12]}…, got {digest[:12]}…); refusing to use it."
        )
    target = str(entry.get("target"))
    try:
        table = pd.read_csv(io.BytesIO(data))
    except (ValueError, pd.errors.ParserError) as err:
        raise RegistryError(f"The training sample of version {version} cannot be read as CSV: {err}.") from None
    if target not in table.columns:
        raise RegistryError(
            f"The training sample of version {version} has no target column '{target}'. Register the model again."
        )
    recorded, of_rows = entry.get("rows"), entry.get("of_rows")
    if len(table) > MAX_SAMPLE_ROWS or (isinstance(recorded, int) and recorded != len(table)):
        raise RegistryError(
            f"The training sample of version {version} has {len(table):,} rows, not the "
            f"{recorded} recorded (at most {MAX_SAMPLE_ROWS:,}); refusing to use it."
        )
    of_rows = of_rows if isinstance(of_rows, int) and not isinstance(of_rows, bool) and of_rows >= 0 else len(table)
    return TrainingSample(table=table, target=target, rows=len(table), of_rows=of_rows, sha256=digest)
