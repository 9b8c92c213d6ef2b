"""Where and how the model errs, and what is wrong in its training rows: the evidence of issue 15 (2, 3, 5).

:func:`error_analysis` runs, on the out-of-fold predictions of the one gap pass and without fitting
the model again: the weak segments (:mod:`gapgates.compute.segments`), the classification or
regression evidence (:mod:`gapgates.compute.classification`) and cleanlab's Datalab audit
(:mod:`gapgates.compute.datalab`). Each failure goes to ``errors`` under its evidence name (the
rules reading it then fail), never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapgates.compute.classification import ClassificationEvidence, RegressionEvidence
from gapgates.compute.crossval import GapResult
from gapgates.compute.datalab import DataIssues
from gapgates.compute.segments import SegmentResult
from gapgates.errors import UserCodeError, first_line
from gapgates.pipeline.inputs import Prepared

__all__ = ["ErrorAnalysis", "error_analysis"]


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
    from gapgates.compute.datalab import data_issues
    from gapgates.compute.segments import weak_segments

    train, cv, seed, policy = prep.train, gap_result.cv, prep.config.seed, prep.policy
    found: dict[str, Any] = {}
    work = {
        "segments": lambda: weak_segments(cv, train.X, train.y, classification=prep.classification,
                                          min_rows=policy.segments.min_rows, confidence=policy.gap.confidence,
                                          seed=seed),
        "classification" if prep.classification else "regression": (
            (lambda: classification_evidence(cv, train.y)) if prep.classification
            else (lambda: regression_evidence(cv, train.y, seed=seed))),
        "data_issues": lambda: data_issues(cv, train.X, train.y, classification=prep.classification,
                                           max_rows=policy.data_issues.max_rows, seed=seed),
    }
    for name, compute in work.items():
        try:
            found[name] = compute()
        except UserCodeError:
            raise
        except Exception as err:  # recorded; the rules reading it fail
            errors[name] = f"the {name.replace('_', ' ')} could not be computed: {first_line(err)}"
    return ErrorAnalysis(**found)
