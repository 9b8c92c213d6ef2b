"""Running Great Expectations 1.x suites on in-memory pandas tables.

This is the only gapgates module that imports ``great_expectations``, and only
inside functions (the import takes seconds). Suites run through an ephemeral
context (pandas data source, whole-dataframe batch) with progress bars and
analytics off. Results become a :class:`QualityResult` that the judge step turns
into checks.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from gapgates.errors import ConfigError
from gapgates.quality.result import ExpectationOutcome, QualityResult

__all__ = [
    "ExpectationOutcome",
    "QualityResult",
    "gx_frame",
    "load_suite",
    "make_suite",
    "save_suite",
    "validate_frame",
]

#: How many unexpected example values each result keeps.
EXAMPLES = 5


def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    try:
        import great_expectations as gx
    except ImportError as err:  # pragma: no cover - a core dependency
        hint = "pip install 'great-expectations>=1.3,<2'"
        raise ImportError(f"The data-quality gate needs Great Expectations: {hint}") from err
    return gx


#: Keys GX writes on a stored expectation that tie it to the suite it was saved in, or to its renderings.
STORED_ONLY = ("id", "rendered_content")


def _unowned(cfg: Any) -> Any:
    """An expectation configuration without the keys GX adds when a context saves it.

    A file context writes an ``id`` on every expectation of a suite it saves, and ``ExpectationSuite``
    refuses an expectation with an ``id`` ("must not belong to another ExpectationSuite"): a suite
    GX itself wrote would be refused. The new suite gives each expectation its own identity.
    """
    return {k: v for k, v in cfg.items() if k not in STORED_ONLY} if isinstance(cfg, dict) else cfg


def make_suite(name: str, expectations: Sequence[dict[str, Any]], *, meta: dict[str, Any] | None = None) -> Any:
    """Build a GX ``ExpectationSuite`` from GX JSON expectation configurations.

    Any configuration GX 1.x writes works: saved by a file or ephemeral context (with ``id`` s,
    which are dropped: see :data:`STORED_ONLY`), or written by hand.

    Raises:
        ConfigError: Naming the first expectation GX refuses (GX itself would drop it silently).
    """
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    built = []
    for i, cfg in enumerate(expectations):
        kind = cfg.get("type", "?") if isinstance(cfg, dict) else type(cfg).__name__
        try:
            built.append(ExpectationConfiguration(**_unowned(cfg)).to_domain_obj())
        except Exception as err:  # GX raises many types for bad configurations
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(f"Suite '{name}': expectation {i} ({kind}) is not a valid GX expectation: {first}") from None
    return gx.ExpectationSuite(name=name, expectations=built, meta=meta)


def load_suite(path: str | Path) -> Any:
    """Load a GX suite JSON file (as GX writes it, or hand-written) into an ``ExpectationSuite``.

    Raises:
        ConfigError: If the file is missing, not JSON, or not a suite.
    """
    from gapgates import documents

    path = Path(path)
    text = documents.read_text(path, "Suite file", hint="Fix [quality] suite or create it with 'gapgates profile'.")
    data = documents.load_json(text, f"Suite file '{path}'")
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(f"Suite file '{path}' is not a GX suite: it needs an 'expectations' list.")
    return make_suite(str(data.get("name") or path.stem), data["expectations"], meta=data.get("meta"))


def save_suite(suite: Any, path: str | Path) -> Path:
    """Write a suite as GX's own JSON (``ExpectationSuite.to_json_dict``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite.to_json_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as GX 1.x validates it: string column names, text columns as Python objects.

    GX's type checks do not know pandas 3's ``str`` dtype nor categoricals; as ``object``
    columns they are checked value by value.
    """
    text = [c for c in df.columns if isinstance(df[c].dtype, (pd.StringDtype, pd.CategoricalDtype))]
    out = df.astype({c: object for c in text}) if text else df
    if any(not isinstance(c, str) for c in out.columns):
        out = out.rename(columns=str)
    return out


def _outcome(res: Any, *, dataset: str, columns: set[str]) -> ExpectationOutcome:
    cfg = res.expectation_config
    kwargs = dict(cfg.kwargs)
    column = kwargs.pop("column", None)
    result = res.result or {}
    details: dict[str, Any] = {
        "expected": {k: v for k, v in kwargs.items() if k != "batch_id"},
        "severity": str(getattr(cfg.severity, "value", cfg.severity)),
    }
    for key in ("element_count", "unexpected_count", "missing_count"):
        if key in result:
            details[key] = result[key]
    if "partial_unexpected_list" in result:
        details["examples"] = list(result["partial_unexpected_list"])[:EXAMPLES]
    if "details" in result and isinstance(result["details"], dict) and "mismatched" in result["details"]:
        details["mismatched"] = result["details"]["mismatched"]
    info = res.exception_info or {}
    if column is not None and column not in columns:
        details["missing_column"] = True
    elif info.get("raised_exception"):
        details["exception"] = str(info.get("exception_message"))
    observed = result.get("observed_value")
    if observed is None and result.get("element_count"):
        observed = result.get("unexpected_count", 0) / result["element_count"]
    return ExpectationOutcome(
        expectation=cfg.type,
        column=column,
        success=bool(res.success),
        critical=details["severity"] == "critical",
        observed=observed,
        details=details,
        dataset=dataset,
        rule=(cfg.meta or {}).get("gapgates_rule"),
    )


def validate_frame(df: pd.DataFrame, suite: Any, *, dataset: str = "data") -> QualityResult:
    """Run a GX suite on a pandas table through an ephemeral context.

    Args:
        df: The table (not modified).
        suite: A GX ``ExpectationSuite`` (see :func:`make_suite`, :func:`load_suite`).
        dataset: Label of the table in results (``data`` or ``holdout``).

    Returns:
        One outcome per expectation.
    """
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    start = time.perf_counter()
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        ),
    )
    from great_expectations.validator.v1_validator import Validator

    frame = gx_frame(df)
    source = context.data_sources.add_pandas(f"gapgates-{uuid.uuid4().hex[:8]}")
    batch_definition = source.add_dataframe_asset(dataset).add_batch_definition_whole_dataframe("all")
    # What ValidationDefinition.run does, without storing anything: the batch is built (and hashed) once.
    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "BASIC", "partial_unexpected_count": EXAMPLES},
    )
    run = validator.validate_expectation_suite(suite)
    columns = set(frame.columns)
    results = tuple(_outcome(r, dataset=dataset, columns=columns) for r in run.results)
    return QualityResult(results=results, suites=(suite.name,), rows={dataset: len(df)}, seconds=time.perf_counter() - start)
