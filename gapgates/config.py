"""What one ``gapgates check`` is asked to do: CLI options and ``gapgates.toml`` in one model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from gapgates.errors import ConfigError

__all__ = [
    "MAX_FITS",
    "CheckConfig",
    "free_cores",
    "history_location",
    "load_config",
    "merge_config",
    "usable_cores",
]

#: Default ceiling on the model fits of one run (folds × repeats, × 6 with the learning curve); raise with --max-fits.
MAX_FITS = 500
#: Fits per cross-validation fold that the learning curve adds (one per training size).
LEARNING_CURVE_FITS = 5


def usable_cores() -> int:
    """The CPU cores this process may use: its affinity (what a container's cpuset and ``taskset`` narrow), capped
    by a cgroup CPU quota (Docker's ``--cpus``, a Kubernetes CPU limit; rounded up), as joblib counts them for
    ``n_jobs=-1`` (``joblib.cpu_count``, which ``LOKY_MAX_CPU_COUNT`` also caps).

    A quota is not an affinity: a container limited to 2 CPUs on a 64-core host still sees 64 cores in its
    affinity, and thread pools sized to them are throttled by the quota most of the time.
    """
    try:
        from joblib import cpu_count

        return max(1, int(cpu_count()))
    except (ImportError, OSError, ValueError):  # joblib missing, or its reading failed: the affinity alone
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except (AttributeError, OSError):  # not Linux
            return max(1, os.cpu_count() or 1)


def _own_running_threads() -> int:
    """This process's threads that are running now (the reading thread among them): Linux ``/proc/self/task``."""
    running = 0
    for task in os.scandir("/proc/self/task"):
        try:
            with open(f"{task.path}/stat", encoding="ascii", errors="replace") as stat:
                running += stat.read().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):
            continue
    return max(1, running)


def free_cores(*, samples: int = 5, interval: float = 0.01) -> int:
    """The usable cores that other processes are not keeping busy right now (at least 1).

    Native thread pools (OpenMP, BLAS) sized to every core slow down about tenfold when other CPU-bound
    processes compete for those cores: their threads wait at barriers for threads that are not running. Sized
    to the free cores, a run takes its fair share instead. Reads the runnable threads of the whole machine
    (``procs_running`` in Linux's ``/proc/stat``, the least of a few samples ``interval`` seconds apart, minus
    this process's own running threads: inside a Prefect flow its client threads are often busy, and counted as
    competition they made a run on an idle machine use one core); elsewhere, the 1-minute load average.
    ``GAPGATES_THREADS`` overrides it.

    Example:
        >>> 1 <= free_cores() <= usable_cores()
        True
    """
    import time

    cores = usable_cores()
    wanted = os.environ.get("GAPGATES_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), cores)
    busy: float | None = None
    try:
        readings = []
        for i in range(samples):
            if i:
                time.sleep(interval)
            with open("/proc/stat", encoding="ascii") as stat:
                running = [int(line.split()[1]) for line in stat if line.startswith("procs_running")]
            readings += [n - _own_running_threads() for n in running]
        busy = min(readings) if readings else None
    except (OSError, ValueError, IndexError):
        busy = None
    if busy is None:
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):
            busy = 0.0
    return max(1, min(cores, round(cores - busy)))


class CheckConfig(BaseModel):
    """Options of one gate run (the keys of ``gapgates.toml`` and the ``check`` options).

    Attributes:
        data: Training data, CSV or Parquet.
        target: Target column.
        model: Dotted estimator path or ``file.py:NAME``.
        params: Estimator parameters.
        name: Model name used in reports, history and the registry (default: the class name).
        holdout: Optional holdout file with the same columns.
        holdout_fraction: Or: share of ``data`` set aside as holdout.
        policy: Policy file (default: the shipped policy).
        folds: Folds per repeat.
        repeats: Repeats of k-fold.
        seed: Seed for folds, holdout split and unseeded estimators.
        group: Group column (GroupKFold).
        time: Time column (TimeSeriesSplit).
        n_jobs: Folds fitted in parallel, as asked (negative: joblib's "all cores but |n| − 1"); the run
            uses :attr:`workers`, clipped to the usable cores and the folds.
        max_fits: Ceiling on the model fits of the run (:attr:`planned_fits`); a run that would fit more is refused.
        out: Report directory.
        history: Run-history SQLite file (default: see :attr:`history_path`).
        dask: ``gapgates run`` only: fit the folds on Dask, at a scheduler address
            (``tcp://host:8786``) or ``local`` for a LocalCluster on this machine.
        learning_curve: Also compute a learning curve (5 × folds extra fits).
        training_curve: Also score an iterative model at every iteration: boosting fold models replayed (no
            extra fit), MLP/SGD trained again epoch by epoch (one more fit per fold); the early-stopping point.
        recommend: After a block for overfit or underfit, run the model's default capacity sweep and (overfit,
            iterative models) re-check the training curve's early-stopping settings; the verified recommendation
            goes into the report before it is published (``gapgates check --recommend``).
        verbose: Keep the boosting libraries' own log (LightGBM's ``[LightGBM] [Info]`` lines, CatBoost's
            iterations...), which gapgates turns off by default (:func:`gapgates.data.libraries.native_defaults`).
        registry: Model registry: a directory, or ``mlflow:<tracking uri>`` for MLflow's
            registry (``mlflow:sqlite:///mlflow.db``). The candidate is compared with its
            production model and registered there.
        promote: Switch production to the candidate when the decision is ``promote``.
        alias: With an MLflow registry: the registered-model alias that marks production
            (default ``champion``).
        report_url: The http(s) URL at which ``out`` is served (a web server or a bucket): the
            Prefect flow links its HTML report artifact to ``<report_url>/report.html``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: Path
    target: str
    model: str
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
    holdout: Path | None = None
    holdout_fraction: float | None = None
    policy: Path | None = None
    folds: int = Field(default=5, ge=2)
    repeats: int = Field(default=1, ge=1)
    seed: int = 0
    group: str | None = None
    time: str | None = None
    n_jobs: int | None = None
    max_fits: int = Field(default=MAX_FITS, ge=1)
    out: Path | None = None
    history: Path | None = None
    dask: str | None = None
    learning_curve: bool = False
    training_curve: bool = False
    recommend: bool = False
    verbose: bool = False
    registry: str | None = None
    promote: bool = False
    alias: str | None = Field(default=None, min_length=1)
    report_url: str | None = Field(default=None, pattern=r"^https?://\S+$")

    @field_validator("registry", mode="before")
    @classmethod
    def _registry_text(cls, value: Any) -> Any:
        """A directory may be given as a Path; kept as text so an ``mlflow:`` URI is not mangled. An empty value (an
        unset shell variable) is refused: it would make the working directory a registry."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a registry directory or mlflow:<tracking uri>. Got an empty value (an unset variable?)")
        return str(value) if isinstance(value, Path) else value

    @field_validator("out", mode="before")
    @classmethod
    def _out_named(cls, value: Any) -> Any:
        """An empty ``out`` (an unset shell variable) is refused: it would write the reports into the working directory."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a report directory. Got an empty value (an unset variable?)")
        return value

    @field_validator("alias")
    @classmethod
    def _alias_needs_a_registry_with_aliases(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A directory registry has one production pointer: an alias there is a mistake, said up front."""
        from gapgates.registry.backends import alias_prefixes, backend_for

        registry = info.data.get("registry")
        if value is not None and (registry is None or not backend_for(registry).takes_alias):
            raise ValueError(f"applies to an {alias_prefixes()} registry only (the alias that marks production there)")
        return value

    @field_validator("seed")
    @classmethod
    def _seed_in_range(cls, value: int) -> int:
        if not 0 <= value < 2**32:
            raise ValueError(f"must be an integer from 0 to 4294967295 (2**32 - 1, numpy's seed range). Got {value}")
        return value

    @field_validator("holdout_fraction")
    @classmethod
    def _fraction(cls, value: float | None) -> float | None:
        if value is not None and not 0.0 < value < 1.0:  # NaN fails too
            raise ValueError(f"must be a number strictly between 0 and 1. Got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CheckConfig:
        if self.holdout is not None and self.holdout_fraction is not None:
            raise ValueError(
                f"Give either --holdout FILE or --holdout-fraction F, not both. Got holdout "
                f"'{self.holdout}' and holdout_fraction {self.holdout_fraction:g}."
            )
        roles = [("target", self.target), ("group", self.group), ("time", self.time)]
        named = [(role, column) for role, column in roles if column is not None]
        for i, (role, column) in enumerate(named):
            for other, other_column in named[i + 1 :]:
                if column == other_column:
                    raise ValueError(
                        f"The {role} and {other} columns must differ. Got '{column}' for both; fix --{role} or --{other}."
                    )
        if self.promote and self.registry is None:
            raise ValueError(
                "--promote moves production in a registry, and no registry was given. Add --registry DIR (or "
                "mlflow:<tracking uri>), or drop --promote."
            )
        if self.n_jobs == 0:
            raise ValueError(
                "The 'n_jobs' must be a positive number of workers, or negative for all cores but some (-1: all). Got 0."
            )
        if self.planned_fits > self.max_fits:
            raise ValueError(
                f"The run would fit the model {self.planned_fits:,} times ({self._fits_text()}), more than the limit "
                f"of {self.max_fits:,}. Use fewer --folds or --repeats, or raise the limit with --max-fits "
                f"{self.planned_fits}."
            )
        return self

    def _fits_text(self) -> str:
        text = f"{self.folds} folds × {self.repeats} repeats"
        return text + (f" × (1 + {LEARNING_CURVE_FITS} for the learning curve)" if self.learning_curve else "")

    @property
    def planned_fits(self) -> int:
        """Model fits of the cross-validation: folds × repeats, times 6 with the learning curve."""
        per_fold = 1 + (LEARNING_CURVE_FITS if self.learning_curve else 0)
        return self.folds * self.repeats * per_fold

    @property
    def workers(self) -> int | None:
        """Folds fitted at once: ``n_jobs`` clipped to the usable cores and to the folds (None: one at a time)."""
        return self.workers_for(self.folds * self.repeats)

    def workers_for(self, tasks: int) -> int | None:
        """Workers for ``tasks`` independent fits (folds, a sweep's values): ``n_jobs`` clipped to the usable
        cores and to ``tasks`` (None: one at a time)."""
        if self.n_jobs is None:
            return None
        cores = usable_cores()
        wanted = self.n_jobs if self.n_jobs > 0 else max(1, cores + 1 + self.n_jobs)
        return max(1, min(wanted, cores, tasks))

    @property
    def workers_note(self) -> str | None:
        """One line saying that ``n_jobs`` was clipped, and why (None when it was not)."""
        if self.n_jobs is None or self.n_jobs < 0 or self.workers == self.n_jobs:
            return None
        return (
            f"--n-jobs {self.n_jobs} uses {self.workers} worker(s): {usable_cores()} usable core(s), "
            f"{self.folds * self.repeats} fold fit(s) per pass."
        )

    @property
    def model_name(self) -> str:
        """The name runs of this model are recorded under."""
        return self.name or self.model.rsplit(":", 1)[-1].rsplit(".", 1)[-1]

    @property
    def history_path(self) -> Path | None:
        """Where runs are recorded: ``history``, else ``history.sqlite`` beside the registry or the reports."""
        return history_location(self.history, registry=self.registry, out=self.out)


def history_location(history: str | Path | None, *, registry: str | None, out: str | Path | None) -> Path | None:
    """Where a run is recorded: ``history``, else ``history.sqlite`` in a directory registry, else beside the reports.

    ``gapgates check``/``run`` and ``gapgates monitor`` share it, so gate and monitor runs of a model
    land in one history.

    Example:
        >>> str(history_location(None, registry="registry", out="out"))
        'registry/history.sqlite'
    """
    if history is not None:
        return Path(history)
    if registry is not None:  # the registry code is imported only for a run that names a registry
        from gapgates.registry.backends import backend_for

        if backend_for(registry).keeps_history:
            return Path(backend_for(registry).address(registry)) / "history.sqlite"
    return None if out is None else Path(out).parent / "history.sqlite"


def short_repr(value: Any) -> str:
    """``repr`` of a value a user supplied, bounded in depth and length (a value may be huge or deeply nested)."""
    import reprlib

    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxstring, shortener.maxother, shortener.maxlong = 3, 60, 60, 60
    shortener.maxlist = shortener.maxtuple = shortener.maxdict = shortener.maxset = 6
    try:
        return shortener.repr(value)
    except Exception:  # a value whose repr raises
        return f"a {type(value).__name__}"


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def make_config(values: dict[str, Any], *, source: str = "options") -> CheckConfig:
    """Validate merged options, with one-line errors.

    Raises:
        ConfigError: Naming the option and what it must be.
    """
    try:
        return CheckConfig.model_validate(_normalise(values))
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        if first["type"] == "missing":
            raise ConfigError(f"{source}: '{key}' is required. Give --{key.replace('_', '-')} or set it in --config.") from None
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(CheckConfig.model_fields)
            raise ConfigError(f"{source}: unknown option '{key}'. Allowed: {allowed}.") from None
        msg = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule across options: the message names them
            raise ConfigError(f"{source}: {msg}") from None
        if first["type"] == "value_error":  # our own message already quotes what was given
            raise ConfigError(f"{source}: '{key}' {msg}.") from None
        raise ConfigError(f"{source}: '{key}' {msg[0].lower() + msg[1:]}. Got {short_repr(first.get('input'))}.") from None


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a ``gapgates.toml``; relative paths in it are relative to the file.

    Returns:
        The raw option mapping (validated later, after CLI overrides are merged).

    Raises:
        ConfigError: If the file is missing or not valid TOML.
    """
    from gapgates import documents
    from gapgates.registry.backends import backend_for

    path = Path(path)
    text = documents.read_text(path, "Config file", hint="Pass an existing gapgates.toml to --config.")
    data = _normalise(documents.load_toml(text, f"Config file '{path}'"))
    for key in ("data", "holdout", "policy", "out", "history", "registry"):
        if key == "registry" and isinstance(data.get(key), str) and not backend_for(data[key]).directory:
            continue  # a URI, not a path (an ``mlflow:sqlite:///x.db`` is relative to the working directory)
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = os.path.normpath(path.parent / data[key])  # deployments/../data.csv -> data.csv
    if isinstance(data.get("model"), str) and ".py:" in data["model"] and not Path(data["model"]).is_absolute():
        data["model"] = os.path.normpath(path.parent / data["model"])
    return data


def merge_config(
    config_path: str | Path | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    params: Mapping[str, Any] | None = None,
) -> CheckConfig:
    """A :class:`CheckConfig` from a ``gapgates.toml`` and options: what ``gapgates check``/``run`` and the flow use.

    Precedence: ``params`` (set key by key) over ``options`` over the file. An option that is
    None is "not given" and keeps the file's value; a ``params`` option replaces the file's
    parameters as a whole, while ``params=`` (the CLI's ``--param KEY=VALUE``) changes single keys.

    Args:
        config_path: A ``gapgates.toml``, or None for options only.
        options: Option values by name (``holdout_fraction`` or ``holdout-fraction``).
        params: Estimator parameters merged into the file's and the options' ``params``.

    Returns:
        The validated config.

    Raises:
        ConfigError: On a missing or invalid file, an unknown option or an invalid value.

    Example:
        >>> merge_config(options={"data": "d.csv", "target": "y", "model": "m.M", "folds": None}).folds
        5
    """
    values = load_config(config_path) if config_path else {}
    values.update({k: v for k, v in _normalise(dict(options or {})).items() if v is not None})
    if params:
        values["params"] = {**dict(values.get("params") or {}), **params}
    return make_config(values, source=str(config_path) if config_path else "options")
