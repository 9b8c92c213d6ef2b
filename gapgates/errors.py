"""The one error hierarchy of gapgates.

Every error a user can cause derives from :class:`GapGatesError`; the CLI turns
each into one line on stderr and exit code 2 (usage and data errors) without a
traceback (the exit codes are defined once, in :mod:`gapgates.cli.main`).
Configuration errors also derive from :class:`ValueError`, as scikit-learn's
``InvalidParameterError`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from gapgates.judge.checks import Decision

__all__ = [
    "COMMAND_LINE",
    "ConfigError",
    "DataError",
    "GapGatesError",
    "IntegrityError",
    "MissingDependencyError",
    "PolicyError",
    "ProductionMoved",
    "PromotionBlocked",
    "RegistryError",
    "RunBlocked",
    "StorageError",
    "UserCodeError",
    "brief",
    "first_line",
    "fix",
    "require",
    "spelled",
    "storage_error",
]

#: Longest message text taken from an exception or a value a user supplied (the rest is cut with "…").
MAX_MESSAGE_CHARS = 500


class GapGatesError(Exception):
    """Base class of every error gapgates raises on purpose."""


class ConfigError(GapGatesError, ValueError):
    """A command-line option, config file value or function argument is invalid."""


class MissingDependencyError(ConfigError, ImportError):
    """An optional part of gapgates is used but its extra is not installed; the message names the extra to install."""


def require(module: str, *, extra: str, needed_for: str) -> None:
    """Raise :class:`MissingDependencyError` naming ``gapgates[extra]`` when ``module`` cannot be imported.

    Only looks the module up (``importlib.util.find_spec``): nothing is imported.

    Example:
        >>> require("json", extra="none", needed_for="a test")  # installed: nothing happens
    """
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that is missing, or a broken __spec__
        found = False
    if not found:
        raise MissingDependencyError(
            f"{needed_for} needs {module}, which is not installed. Install it with: pip install 'gapgates[{extra}]'."
        )


class PolicyError(ConfigError):
    """The policy file is missing, unreadable or does not validate."""


class DataError(GapGatesError, ValueError):
    """The data cannot be used as given (empty table, NaN labels, too few rows per class...)."""


class StorageError(GapGatesError):
    """A file gapgates writes cannot be written (a full disk, no permission, an I/O error); the message names the path
    and the error, and no temporary file is left behind."""


def storage_error(path: object, err: OSError, *, what: str = "write") -> StorageError:
    """The one-line :class:`StorageError` for an ``OSError`` on ``path``."""
    reason = err.strerror or type(err).__name__
    return StorageError(f"Could not {what} '{path}': {reason}. Free space or choose a writable location, then run again.")


class RegistryError(GapGatesError):
    """The model registry cannot do what was asked (unknown version, broken layout...)."""


class IntegrityError(RegistryError):
    """A stored model does not match its recorded checksum and was refused."""


class ProductionMoved(RegistryError):
    """A promotion was refused because production is no longer the version the candidate was compared with.

    Attributes:
        version: The candidate.
        expected: The production version the run compared the candidate with (None: there was none).
        found: The production version when the switch was asked for.
    """

    def __init__(self, version: str, expected: str | None, found: str | None) -> None:
        self.version, self.expected, self.found = version, expected, found
        compared = f"production {expected}" if expected is not None else "no production model (the first candidate)"
        super().__init__(
            f"Production moved from {expected or 'none'} to {found or 'none'} after this run compared {version} with "
            f"{compared}; {version} was never compared with {found or 'the empty registry'}, so it was not promoted. "
            "Run the gate again to compare it with the production it would replace."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.version, self.expected, self.found)


class UserCodeError(GapGatesError):
    """The model's own code (its file, factory, fit, predict...) raised or tried to exit; the message names the
    model, the step and the fold."""


class PromotionBlocked(GapGatesError):
    """Raised by enforcement when the decision does not allow promotion.

    Attributes:
        decision: The :class:`~gapgates.judge.checks.Decision` that blocked, with its checks.
    """

    def __init__(self, decision: Decision, *args: Any) -> None:
        self.decision = decision
        reasons = "; ".join(decision.reasons) or "no reason recorded"
        super().__init__(f"Promotion blocked ({decision.outcome.value}): {reasons}", *args)


class RunBlocked(GapGatesError):
    """A whole gate run ended without promotion (blocked, rejected, or approval timed out): carries its report.

    The Prefect flow ends Failed with this as its result, so ``state.result()`` raises it and
    ``state.result(raise_on_failure=False)`` returns it, report included.

    Attributes:
        report: The run's ``report.json`` mapping.
    """

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.report)


def brief(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line and at most ``limit`` characters (cut with "…").

    Example:
        >>> brief("a\nb"), len(brief("x" * 600))
        ('a b', 500)
    """
    flat = " ".join(text[: limit * 4].split("\n")).replace("\r", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def first_line(err: BaseException) -> str:
    """The first line of an error's message (its type name when the message is empty), for one-line reports.

    At most :data:`MAX_MESSAGE_CHARS` characters: a message can quote what a user supplied.
    """
    try:
        text = str(err)
    except Exception:  # a user's exception whose __str__ raises
        text = ""
    lines = text[: MAX_MESSAGE_CHARS * 4].strip().splitlines()
    return brief(lines[0]) if lines else type(err).__name__


#: The command line's spelling: the fixes a message names are its flags (``--folds``).
COMMAND_LINE: Mapping[str, str] = MappingProxyType({})
#: How the caller names the inputs a fix names: :data:`COMMAND_LINE`, or ``{input: argument}`` of the function
#: called (unlisted inputs keep their name, as in :class:`gapgates.config.CheckConfig` and ``gapgates.toml``).
_SPELLING: ContextVar[Mapping[str, str] | None] = ContextVar("gapgates_spelling", default=None)


@contextmanager
def spelled(arguments: Mapping[str, str]) -> Iterator[None]:
    """Name the inputs in the fixes of messages raised inside as the caller does (:func:`fix`).

    Args:
        arguments: :data:`COMMAND_LINE`, or ``{input: argument}`` (``{"folds": "n_splits"}`` for ``gapgates.gap``).
    """
    token = _SPELLING.set(arguments)
    try:
        yield
    finally:
        _SPELLING.reset(token)


def fix(command_line: str, python: str) -> str:
    """The fix a message names, as its caller spells it.

    Args:
        command_line: The fix on the command line (``"Use fewer --folds"``).
        python: The fix for a Python caller, each ``{input}`` standing for the argument that sets it
            (``"Pass fewer folds as {folds}"``).

    Returns:
        ``command_line`` under :data:`COMMAND_LINE`; else ``python`` with the caller's argument names.

    Example:
        >>> with spelled({"folds": "n_splits"}):
        ...     fix("Use fewer --folds", "Pass fewer folds as {folds}")
        'Pass fewer folds as n_splits'
        >>> fix("Use fewer --folds", "Pass fewer folds as {folds}")
        'Pass fewer folds as folds'
    """
    arguments = _SPELLING.get()
    if arguments is COMMAND_LINE:
        return command_line

    class _Names(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return key

    return python.format_map(_Names(arguments or {}))
