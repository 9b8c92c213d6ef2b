"""The label-noise rate of the last accepted data: what ``[noise] max_rate_increase`` compares with.

A hard problem (a high Bayes error) has many rows cleanlab flags whatever the labelling, so an
absolute ``max_rate`` either blocks it forever or is too loose to notice a labelling regression.
What a retraining pipeline needs to know is whether the labels got *worse* than the data the
production model was accepted on. The reference is, in order:

* with a registry: the noise rate recorded with the production version (its ``noise_rate``
  metadata, written at registration by :func:`gapgates.enforcement.registry_metadata`);
* without one: the noise rate of the last *promoted* gate run of the same model name in the run
  history (:class:`gapgates.history.History`): a run whose production switch was refused, withdrawn or never
  asked for does not count, and a ``pending`` one (killed before it recorded its outcome) counts only when its
  registry shows the switch (:mod:`gapgates.registry.outcomes`).

Without either there is no reference: the rule is skipped with its reason. Nor is there one when another model
measured the reference rate (another estimator or other parameters: :func:`gapgates.history.estimator_identity`):
the share of labels cleanlab flags depends on the model whose probabilities flag them (a weaker model flags more), so a retrained
logistic regression compared with a forest's rate would be blocked for the model it is, not for its labels. The
first-run rule (``label_noise:confident``) judges such a run instead. A reference recorded before the model was
recorded with it is compared as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gapgates.history import describe_estimator, same_estimator

__all__ = ["NoiseReference", "from_history", "from_registry"]


@dataclass(frozen=True)
class NoiseReference:
    """The noise rate the candidate's is compared with, and where it comes from.

    Attributes:
        rate: The reference share of flagged labels, or None when there is none.
        source: ``registry`` or ``history`` (None without a reference).
        version: The production version (registry) or the time of the promoted run (history).
        reason: Why there is no reference (None when there is one).
    """

    rate: float | None
    source: str | None = None
    version: str | None = None
    reason: str | None = None

    def describe(self) -> str:
        """Where the reference comes from, for messages: ``production version 3`` or ``the promoted run of …``."""
        if self.source == "registry":
            return f"production version {self.version}"
        return f"the last promoted run ({self.version})"

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` ``noise.reference`` entry."""
        return {"rate": self.rate, "source": self.source, "version": self.version, "reason": self.reason}


def _other_model(rate: float, measured_by: str | None, model: str | None, *, whose: str) -> NoiseReference | None:
    """No reference when another model measured the rate (both known and different), saying why; else None."""
    if measured_by is None or model is None or same_estimator(measured_by, model):
        return None
    return NoiseReference(
        None,
        reason=(
            f"The noise rate of {whose} ({rate:.1%}) was measured by another model ({describe_estimator(measured_by)}, "
            f"this run's is {describe_estimator(model)}): the share of flagged labels depends on the model that flags "
            "them, so the two are not compared and the first-run rule judges the labels."
        ),
    )


def _rate(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def from_registry(
    version: str | None, metadata: Mapping[str, Any] | None, *, where: str, model: str | None = None
) -> NoiseReference:
    """The reference of a registry's production version.

    Args:
        version: The production version (None: no production model yet).
        metadata: The metadata recorded with that version (its ``estimator`` names the model that measured the rate).
        where: The registry, for the reason.
        model: The candidate's :func:`gapgates.history.estimator_identity` (None: not compared).

    Returns:
        The reference, or one without a rate saying why.

    Example:
        >>> from_registry("3", {"noise_rate": 0.12}, where="reg").rate
        0.12
    """
    if version is None:
        return NoiseReference(None, reason=f"No production model in {where} yet, so there is no reference noise rate.")
    rate = _rate((metadata or {}).get("noise_rate"))
    if rate is None:
        return NoiseReference(None, reason=f"Production version {version} in {where} has no recorded noise rate.")
    measured_by = (metadata or {}).get("estimator")
    measured_by = measured_by if isinstance(measured_by, str) else None
    other = _other_model(rate, measured_by, model, whose=f"production version {version}")
    return other or NoiseReference(rate, source="registry", version=str(version))


def from_history(records: Sequence[Any], *, model: str, estimator: str | None = None) -> NoiseReference:
    """The reference of the last promoted gate run of a model in the history.

    Args:
        records: The model's gate runs (:class:`gapgates.history.RunRecord`), oldest first.
        model: The model name, for the reason.
        estimator: The candidate's :func:`gapgates.history.estimator_identity` (None: not compared).

    Returns:
        The reference, or one without a rate saying why.
    """
    for record in reversed(records):
        rate = _rate(record.noise_rate)
        if rate is None:
            continue
        if record.outcome == "pending":  # recorded before a switch its run did not live to confirm
            from gapgates.registry.outcomes import settle_runs  # the registry code, only for a run it must settle

            record = settle_runs([record])[0]
        if record.promoted:
            other = _other_model(rate, record.estimator, estimator, whose=f"the last promoted run ({record.time})")
            return other or NoiseReference(rate, source="history", version=str(record.time))
    return NoiseReference(
        None, reason=f"The history holds no promoted run of {model!r} with a noise rate, so there is no reference noise rate."
    )
