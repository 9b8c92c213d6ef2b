"""Where and how the model errs, and what is wrong in its training rows: the evidence of issue 15 (2, 3, 5).

:func:`error_analysis` runs, on the out-of-fold predictions of the one gap pass and without fitting
the model again: the weak segments (:mod:`gapgates.compute.segments`), the classification or
regression evidence (:mod:`gapgates.compute.classification`) and cleanlab's Datalab audit
(:mod:`gapgates.compute.datalab`). Each failure goes to ``errors`` under its evidence name (the
rules reading it then fail), never raised.

Datalab's audit reads only the features and the labels (see :mod:`gapgates.compute.datalab`), so a
capacity sweep, which runs this step once per value on the same rows, reuses the last audit of the
same rows in the same process (:data:`_LAST_AUDIT`) instead of asking Datalab again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from gapgates.compute.classification import ClassificationEvidence, RegressionEvidence
from gapgates.compute.crossval import GapResult
from gapgates.compute.datalab import DataIssues
from gapgates.compute.segments import SegmentResult
from gapgates.errors import UserCodeError, first_line
from gapgates.pipeline.inputs import Prepared

__all__ = ["ErrorAnalysis", "error_analysis"]

#: ``(key, audit)`` of the last Datalab audit in this process (the key names the rows, labels and options).
_LAST_AUDIT: list[tuple[str, DataIssues]] = []


def _audit(prep: Prepared, gap_result: GapResult) -> DataIssues:
    """Datalab's audit of the training rows, reused when the last one in this process was of the same rows."""
    from gapgates.compute.datalab import data_issues

    train, cv = prep.train, gap_result.cv
    digest = hashlib.sha256()
    for part in (
        prep.fingerprint,
        repr(tuple(train.X.columns)),
        repr(prep.policy.data_issues.max_rows),
        repr(prep.config.seed),
        repr(prep.classification),
    ):
        digest.update(part.encode())
    for array in (
        np.asarray(train.X.index),
        np.asarray(cv.covered, dtype=bool),
        np.asarray([] if cv.classes is None else cv.classes, dtype=str),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    key = digest.hexdigest()
    if _LAST_AUDIT and _LAST_AUDIT[0][0] == key:
        return _LAST_AUDIT[0][1]
    found = data_issues(
        cv, train.X, train.y, classification=prep.classification, max_rows=prep.policy.data_issues.max_rows, seed=prep.config.seed
    )
    _LAST_AUDIT[:] = [(key, found)]
    return found


@dataclass(frozen=True, eq=False)
class ErrorAnalysis:
    """The evidence of :func:`error_analysis` (None: not computed, or failed).

    Attributes:
        segments: The weak segments.
        classification: Confusion matrix, per-class scores, curves and calibration (classifiers).
        regression: Residuals and error by target quantile (regressors).
        data_issues: What cleanlab's Datalab found in the training rows.
    """

    segments: SegmentResult | None = None
    classification: ClassificationEvidence | None = None
    regression: RegressionEvidence | None = None
    data_issues: DataIssues | None = None


def error_analysis(prep: Prepared, gap_result: GapResult, errors: dict[str, str]) -> ErrorAnalysis:
    """Segments, classification/regression evidence and Datalab's audit of one run; failures go to ``errors``."""
    from gapgates.compute.classification import classification_evidence, regression_evidence
    from gapgates.compute.segments import weak_segments

    train, cv, seed, policy = prep.train, gap_result.cv, prep.config.seed, prep.policy
    found: dict[str, Any] = {}
    work = {
        "segments": lambda: weak_segments(
            cv,
            train.X,
            train.y,
            classification=prep.classification,
            min_rows=policy.segments.min_rows,
            confidence=policy.gap.confidence,
            seed=seed,
        ),
        "classification" if prep.classification else "regression": (
            (lambda: classification_evidence(cv, train.y))
            if prep.classification
            else (lambda: regression_evidence(cv, train.y, seed=seed))
        ),
        "data_issues": lambda: _audit(prep, gap_result),
    }
    for name, compute in work.items():
        try:
            found[name] = compute()
        except UserCodeError:
            raise
        except Exception as err:  # recorded; the rules reading it fail
            errors[name] = f"the {name.replace('_', ' ')} could not be computed: {first_line(err)}"
    return ErrorAnalysis(**found)
