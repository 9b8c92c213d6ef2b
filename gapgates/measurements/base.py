"""The measurement registry: each thing gapgates measures, declared once, with everything that follows from it.

A :class:`Measurement` names what a run computes (its ``compute`` call and the pipeline step that runs it), the
type of its evidence, the rules that judge it (:class:`~gapgates.judge.checks.RuleSpec`), the diagnosis it can
name and the advice it gives, and its report :class:`Section` (``report.json`` keys and their JSON-schema
fragment, Markdown, HTML, charts and the Prefect flow's table artifacts). :data:`REGISTRY` keeps them in order;
the pipeline's steps, :func:`~gapgates.judge.rules.evaluate`, the diagnosis, the report builder and renderers,
and the flow's artifacts loop over it instead of naming measurements (as cleanlab's Datalab keeps its issue
managers in one ``REGISTRY``). Adding one is a module and a :func:`register` call.

The modules of this package sit between ``compute`` and the rest of ``judge``: they import computations lazily
(inside ``compute``), the judging vocabulary (:mod:`gapgates.judge.checks`, :mod:`gapgates.judge.policy`) and
:mod:`gapgates.format`, and read the run and the evidence by attribute only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from gapgates.judge.checks import Check, RuleSpec
from gapgates.judge.policy import PolicySection, register_section, unregister_section

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.compute.crossval import GapResult
    from gapgates.data.splits import Splits
    from gapgates.judge.checks import Decision
    from gapgates.judge.evidence import Evidence
    from gapgates.pipeline.inputs import Prepared

__all__ = [
    "REGISTRY",
    "STEPS",
    "Context",
    "Diagnoser",
    "Incomplete",
    "Measurement",
    "Section",
    "Step",
    "Table",
    "breached",
    "get",
    "in_step",
    "listed",
    "named",
    "register",
    "unregister",
]

#: The pipeline step that computes a measurement: ``quality`` (the data-quality gate), ``gap`` (the cross-validation
#: pass), ``evidence`` (after the gap, from its fold models: no fit but cheap ones), ``references`` (the dummy baseline
#: and the final model on the holdout), ``comparison`` (what depends on the world outside the run: production, the
#: history; never cached).
Step = Literal["quality", "gap", "evidence", "references", "comparison"]
STEPS: tuple[Step, ...] = ("quality", "gap", "evidence", "references", "comparison")


@dataclass(frozen=True)
class Context:
    """What a measurement's ``compute`` reads of the run.

    Attributes:
        prep: The validated inputs (:class:`~gapgates.pipeline.inputs.Prepared`: config, policy, train, holdout,
            estimator, metrics, classification).
        splits: The cross-validation folds as configured.
        gap: The cross-validated gap (its ``cv`` holds the fold models and out-of-fold predictions).
        model: The final model fit on every training row (``references`` step, with a holdout or a registry).
        found: The results of the measurements computed before this one in the same step, by name.
    """

    prep: Prepared
    splits: Splits | None = None
    gap: GapResult | None = None
    model: Any = None
    found: Mapping[str, Any] = field(default_factory=dict)


class Incomplete(Exception):
    """Raised by a ``compute`` whose result is there but cannot be trusted: the result is kept in the evidence and the
    message (verbatim) goes to its errors, so its rules fail while the report still shows what was measured."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Diagnoser:
    """A cause of the gap that a measurement can name (a diagnosis label).

    Attributes:
        label: The label (``noise``, ``overfit``...).
        order: Its priority: the lowest that holds names the cause, the others are listed as ``also``.
        holds: ``(evidence, decision) -> explanation``, or None when this cause is not seen.
        advice: The label's general advice.
        covers: Check-name prefixes the label speaks for: their advice is the label's.
        specific: ``(evidence, decision) -> lines`` naming what was found; they come first and replace the general
            lines that ``replaces`` maps them to.
        replaces: ``{start of a specific line: start of the general line it replaces}``.
        only_specific: When specific lines exist, drop the general advice (a leak: no column advice for copies).
    """

    label: str
    order: int
    holds: Callable[[Evidence, Decision], str | None]
    advice: tuple[str, ...]
    covers: tuple[str, ...] = ()
    specific: Callable[[Evidence, Decision], tuple[str, ...]] | None = None
    replaces: Mapping[str, str] = field(default_factory=dict)
    only_specific: bool = False


@dataclass(frozen=True)
class Table:
    """A table the Prefect flow publishes as an artifact (key ``gapgates-<model>-<kind>``).

    Attributes:
        kind: The artifact key's suffix (``folds``, ``drift``, ``segments``).
        description: The artifact's description (``{name}`` is the model's name).
        rows: One mapping per row.
    """

    kind: str
    description: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """A measurement's part of the reports; every renderer reads ``report.json`` only, so old reports re-render.

    Attributes:
        keys: The ``report.json`` keys the section writes.
        json: ``evidence -> {key: value}``: the section's ``report.json`` content (plain JSON types). A key it leaves
            out is absent from the report unless it is ``required``.
        required: Keys always present in ``report.json`` (None when not computed).
        schema: The keys' JSON-schema fragment (``{"properties": {...}, "required": [...], "$defs": {...}}``): the
            name of a file under ``gapgates/measurements/schemas/``, or the mapping itself. Without one the keys are
            refused by the report's schema (``additionalProperties`` is false).
        summary: ``report -> lines``: one-line findings listed under the diagnosis (Markdown).
        markdown: ``report -> lines``: the section's own Markdown (``report.md``, the flow's report artifact).
        html: The section's template under ``gapgates/report/templates/sections/`` (it reads ``r``, the report).
        top: Shown before the diagnosis and the checks (the gap), not after them.
        context: ``report -> {name: value}``: more variables for its template (rows it tabulates, a limit).
        charts: ``report -> {name: svg}``: the section's charts (``charts.<name>`` in its template).
        tables: ``report -> [Table]``: the Prefect flow's table artifacts.
    """

    keys: tuple[str, ...]
    json: Callable[[Evidence], Mapping[str, Any]]
    required: tuple[str, ...] = ()
    schema: str | Mapping[str, Any] | None = None
    summary: Callable[[dict[str, Any]], list[str]] | None = None
    markdown: Callable[[dict[str, Any]], list[str]] | None = None
    html: str | None = None
    top: bool = False
    context: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    charts: Callable[[dict[str, Any]], dict[str, str]] | None = None
    tables: Callable[[dict[str, Any]], list[Table]] | None = None


@dataclass(frozen=True)
class Measurement:
    """One thing gapgates measures, and everything that follows from it.

    Attributes:
        name: The evidence name (``Evidence.<name>``, the key of its errors).
        step: The pipeline step that computes it (see :data:`Step`).
        compute: ``Context -> result``; None (or a None result) when it does not apply to the run. None for
            ``quality`` and ``gap``, which their own steps compute. A raise is recorded under ``name`` in the
            evidence's errors (its rules then fail); a :class:`~gapgates.errors.UserCodeError` ends the run.
        failure: How its failure reads in ``report.json`` ``errors`` (``"<failure>: <error>"``).
        result: The type of its evidence (documentation and checks; None: any).
        rules: The rules that judge it, in the order their checks are listed.
        diagnoses: The causes of the gap it can name.
        advice: ``(breached check, evidence) -> line``: advice for a breached check of its rules that no diagnosis
            label covers (None: the generic line).
        lead: ``(diagnosis label, evidence) -> lines`` put first among that label's mitigations (the training
            curve's early-stopping point for ``overfit``).
        section: Its part of the reports.
        policy: ``(table name, section model)``: a ``[table]`` of the policy file that only this measurement reads
            (its limits, off by default); registering the measurement adds it to the policy model
            (:func:`gapgates.judge.policy.register_section`).
    """

    name: str
    step: Step
    compute: Callable[[Context], Any] | None = None
    failure: str = ""
    result: type | None = None
    rules: tuple[RuleSpec, ...] = ()
    diagnoses: tuple[Diagnoser, ...] = ()
    advice: Callable[[Check, Evidence], str | None] | None = None
    lead: Callable[[str, Evidence], tuple[str, ...]] | None = None
    section: Section | None = None
    policy: tuple[str, type[PolicySection]] | None = None

    def failed(self, error: str) -> str:
        """The ``report.json`` ``errors`` entry of a failed computation."""
        what = self.failure or f"the {self.name.replace('_', ' ')} could not be computed"
        return f"{what}: {error}"


_REGISTRY: dict[str, Measurement] = {}
#: The registered measurements, in registration order (read-only: use :func:`register`).
REGISTRY: Mapping[str, Measurement] = MappingProxyType(_REGISTRY)


def register(measurement: Measurement, *, replace: bool = False) -> Measurement:
    """Add a measurement to the registry (its rules are evaluated after those already there).

    Args:
        measurement: The measurement.
        replace: Replace a measurement of the same name instead of refusing it.

    Returns:
        The measurement.

    Raises:
        ValueError: If the name is taken (and ``replace`` is False), a rule has neither or both of ``measure`` and
            ``checks``, or a rule or report key is already declared by another measurement.
    """
    if measurement.name in _REGISTRY and not replace:
        raise ValueError(f"A measurement named {measurement.name!r} is already registered. Pass replace=True to replace it.")
    if measurement.step not in STEPS:
        raise ValueError(f"A measurement's step must be one of {', '.join(STEPS)}. Got {measurement.step!r}.")
    others = [m for m in _REGISTRY.values() if m.name != measurement.name]
    for spec in measurement.rules:
        if (spec.measure is None) == (spec.checks is None):
            raise ValueError(f"Rule {spec.name!r} needs exactly one of 'measure' and 'checks'.")
        if any(spec.name == s.name for m in others for s in m.rules):
            raise ValueError(f"A rule named {spec.name!r} is already declared by another measurement.")
    keys = measurement.section.keys if measurement.section is not None else ()
    taken = {k: m.name for m in others if m.section is not None for k in m.section.keys}
    clash = [k for k in keys if k in taken]
    if clash:
        raise ValueError(f"The report key {clash[0]!r} of {measurement.name!r} is already written by {taken[clash[0]]!r}.")
    if measurement.policy is not None:
        register_section(*measurement.policy, replace=replace)
    _REGISTRY[measurement.name] = measurement
    return measurement


def unregister(name: str) -> None:
    """Remove a measurement (and its policy section) from the registry (no error when it is not there)."""
    measurement = _REGISTRY.pop(name, None)
    if measurement is not None and measurement.policy is not None:
        unregister_section(measurement.policy[0])


def get(name: str) -> Measurement:
    """The registered measurement of that name.

    Raises:
        KeyError: When none is registered under it.
    """
    return _REGISTRY[name]


def in_step(step: Step) -> Iterator[Measurement]:
    """The registered measurements a pipeline step computes, in registration order."""
    return (m for m in list(_REGISTRY.values()) if m.step == step and m.compute is not None)


def named(check: Check, *prefixes: str) -> bool:
    """Whether a check is one of a rule family (``gap`` names ``gap:accuracy``; ``label_noise`` names itself)."""
    return any(check.name == p or check.name.startswith(p + ":") for p in prefixes)


def breached(decision: Decision, *prefixes: str) -> list[Check]:
    """The checks of those rule families that failed or warned."""
    from gapgates.judge.checks import Status

    return [c for c in decision.checks if c.status in (Status.FAIL, Status.WARN) and named(c, *prefixes)]


def listed(rows: Any, limit: int = 5) -> str:
    """Up to ``limit`` row numbers, comma-separated, and how many more (``3, 7, 9 and 12 more``)."""
    rows = list(rows or ())
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(str(r) for r in rows[:limit]) + more
