"""Everything the gate computed for one candidate: the input of :func:`gapgates.judge.rules.evaluate`.

The evidence holds one result per registered measurement (:data:`gapgates.measurements.REGISTRY`), read as
an attribute (``evidence.noise``) or by name (``evidence.value("noise")``); None means it did not run. A
measurement that failed is recorded in :attr:`Evidence.errors` under its name, and every rule reading it then
fails. The names are checked when the evidence is built: a misspelt one is a programming error, raised at once,
never a silently skipped check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from gapgates.measurements import REGISTRY

__all__ = ["Evidence", "measurement_names", "register_measurement"]

#: Evidence names of the values rules compute themselves (``RuleSpec.compute``; see
#: :func:`gapgates.judge.rules.register`): they live in :attr:`Evidence.measured`.
MEASUREMENTS: set[str] = set()


class Evidence:
    """Computed results, one per registered measurement; None means it did not run.

    Args:
        results: ``{measurement name: result}``.
        measured: Values of the measurements registered with a rule (``RuleSpec.compute``), by the rule's
            evidence name.
        errors: ``{evidence name: message}`` for the measurements that failed; every rule reading one of them
            fails.
        **named: More results by name (``Evidence(gap=result, noise=noise)``).

    Raises:
        ValueError: When a name is not a registered measurement.

    Example:
        >>> Evidence().noise is None, Evidence(errors={"noise": "boom"}).errors["noise"]
        (True, 'boom')
    """

    __slots__ = ("_results", "errors", "measured")

    _results: Mapping[str, Any]
    measured: Mapping[str, float | None]
    errors: Mapping[str, str]

    def __init__(
        self,
        results: Mapping[str, Any] | None = None,
        *,
        measured: Mapping[str, float | None] | None = None,
        errors: Mapping[str, str] | None = None,
        **named: Any,
    ) -> None:
        found = {**(results or {}), **named}
        measured, errors = dict(measured or {}), dict(errors or {})
        unknown = sorted(set(found) - set(REGISTRY))
        unknown += sorted(set(errors) - set(REGISTRY) - MEASUREMENTS) + sorted(set(measured) - MEASUREMENTS)
        if unknown:
            known = ", ".join(sorted(set(REGISTRY) | MEASUREMENTS))
            raise ValueError(f"Evidence keys must name a measurement ({known}). Got {unknown}.")
        object.__setattr__(self, "_results", MappingProxyType(found))
        object.__setattr__(self, "measured", MappingProxyType(measured))
        object.__setattr__(self, "errors", MappingProxyType(errors))

    def __getattr__(self, name: str) -> Any:
        if name in REGISTRY:
            return self._results.get(name)
        raise AttributeError(f"{type(self).__name__!r} has no measurement {name!r} (registered: {', '.join(REGISTRY)}).")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Evidence is read-only: build a new one.")

    def __iter__(self) -> Iterator[str]:
        """The names of the results present (not None)."""
        return (name for name, value in self._results.items() if value is not None)

    def value(self, name: str) -> object | None:
        """The result recorded under an evidence name (a measurement, or a rule's own measured value)."""
        if name in REGISTRY:
            return self._results.get(name)
        return self.measured.get(name)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by Prefect's result store and process workers
        return _rebuild, (dict(self._results), dict(self.measured), dict(self.errors))

    def with_results(self, **results: Any) -> Evidence:
        """A copy with more (or other) results."""
        return Evidence({**self._results, **results}, measured=self.measured, errors=self.errors)


def _rebuild(results: dict[str, Any], measured: dict[str, float | None], errors: dict[str, str]) -> Evidence:
    return Evidence(results, measured=measured, errors=errors)


def register_measurement(name: str, *, registered: bool = True) -> None:
    """Declare (or, with ``registered=False``, withdraw) the evidence name of a rule's own measurement."""
    if name in REGISTRY:
        raise ValueError(f"A rule's own measurement cannot be named like a registered measurement. Got {name!r}.")
    (MEASUREMENTS.add if registered else MEASUREMENTS.discard)(name)


def measurement_names() -> tuple[str, ...]:
    """The evidence names of the rules' own measurements, sorted."""
    return tuple(sorted(MEASUREMENTS))
