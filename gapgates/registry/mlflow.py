"""A registry on an MLflow tracking store (extra ``gapgates[mlflow]``).

Each :meth:`MlflowRegistry.register` logs a **native MLflow model** (the sklearn flavour, saved
with MLflow's skops serialization, plus pyfunc) in an MLflow run named after the model, the
decision and the time. The run holds the gate's params (model spec and parameters, folds,
repeats, seed, policy hash), metrics (per metric train, test, gap and interval bounds; noise
rate; shift AUC), tags (decision, diagnosis, reasons) and report.json/md/html as artifacts. A
version of the registered model points at it, tagged with the sha256, the decision and the gap.
Production is the registered-model alias (``champion`` by default), so
``mlflow.sklearn.load_model("models:/NAME@champion")`` loads the production model. The audit
log is a series of registered-model tags ``gapgates.audit.<time>``, written before the alias is
set and never changed afterwards.

MLflow has no compare-and-set on an alias. Promotions and rollbacks of a local store (a sqlite database or a file
store on this machine's file system) take a file lock beside it (``mlflow.db.gapgates.lock``), so gapgates
promoters serialise and a promotion replaces only the production it was compared with (checked under the lock).
Against a tracking server there is no lock gapgates can hold: the check is made just before the alias is set, and
another promoter acting between the two (milliseconds) is not detected; run one promoting job per model there.

Works with a local store, no server: ``MlflowRegistry("sqlite:///mlflow.db")``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from gapgates.config import short_repr
from gapgates.errors import IntegrityError, ProductionMoved, RegistryError, brief, first_line, require
from gapgates.format import is_number
from gapgates.registry import serialize
from gapgates.registry.audit import now
from gapgates.registry.base import (
    AuditEntry,
    Expected,
    Registry,
    VersionInfo,
    after_promotion,
    check_expected,
    rollback_plan,
)
from gapgates.registry.files import checked, held, json_sha256, sha256_bytes

__all__ = ["SCHEMES", "MlflowRegistry", "check_tracking_uri", "run_metrics", "run_name", "run_params", "run_tags"]

T = TypeVar("T")

_P = "gapgates."
MODEL_FILE = "model.skops"
#: The version tag holding the sha256 of the version's other gapgates tags (its metadata), and the tags it leaves out
#: (set after registration).
META_CHECKSUM = f"{_P}metadata_sha256"
_UNSIGNED = frozenset({META_CHECKSUM, f"{_P}orphan", f"{_P}promoted"})
#: MLflow's alias names: letters, digits, '_' and '-' (and not 'latest', nor a version like 'v3').
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _import_mlflow() -> Any:
    require("mlflow", extra="mlflow", needed_for="An MLflow registry (mlflow:<tracking uri>)")
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # an unreachable tracking server fails in seconds, not after MLflow's default minutes of retries
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    return mlflow


#: Tracking-URI schemes MLflow's client supports (a plain path is a local file store).
SCHEMES = frozenset({"sqlite", "file", "http", "https", "postgresql", "mysql", "mssql", "databricks", "databricks-uc"})


def _sqlite_path(tracking_uri: str) -> Path:
    return (
        Path(unquote(tracking_uri.removeprefix("sqlite:///")))
        if tracking_uri.startswith("sqlite:///")
        else Path(unquote(urlparse(tracking_uri).path))
    )


def check_tracking_uri(tracking_uri: str, *, must_exist: bool = False) -> None:
    """Refuse a tracking URI MLflow cannot use, and (``must_exist``) a local store that is not there.

    A read-only command checks the store exists first, so it never creates one: MLflow's client
    creates a missing sqlite database, or tables in any sqlite file, when it first opens it.

    Raises:
        RegistryError: On an empty URI, an unsupported scheme, or a missing (or foreign) local store.
    """
    if not tracking_uri.strip():
        raise RegistryError(
            "An MLflow registry needs a tracking URI after 'mlflow:', e.g. mlflow:sqlite:///mlflow.db "
            "or mlflow:http://127.0.0.1:5000."
        )
    scheme = urlparse(tracking_uri).scheme
    if scheme and scheme not in SCHEMES and len(scheme) > 1:  # "C:" is a Windows path
        raise RegistryError(
            f"The MLflow tracking URI '{tracking_uri}' has the unsupported scheme '{scheme}:'. Use one "
            f"of {', '.join(sorted(SCHEMES))}, e.g. mlflow:sqlite:///mlflow.db."
        )
    if scheme == "sqlite":
        path = _sqlite_path(tracking_uri)
        if path.is_dir():
            raise RegistryError(f"The MLflow database '{path}' is a directory. Point the sqlite URI at a file.")
        if must_exist:
            _check_mlflow_database(path)
    elif must_exist and scheme in {"", "file"}:
        path = Path(unquote(urlparse(tracking_uri).path)) if scheme else Path(tracking_uri)
        if not path.is_dir():
            raise RegistryError(f"There is no MLflow file store at '{path}'. Give the --registry used by 'check'.")


def _check_mlflow_database(path: Path) -> None:
    """An existing sqlite file with MLflow's tables, inspected without creating or changing any file."""
    import sqlite3
    from contextlib import closing
    from urllib.parse import quote

    if not path.is_file():
        raise RegistryError(
            f"There is no MLflow database at '{path}'. Give the --registry used by 'check'; a read-only "
            "command never creates one."
        )
    try:
        with closing(sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as err:
        raise RegistryError(f"'{path}' is not an MLflow database ({err}).") from None
    if not {"registered_models", "model_versions"} <= tables:
        raise RegistryError(
            f"'{path}' is not an MLflow database (it has no registered_models table). Give the "
            "--registry used by 'check'; the file was not changed."
        )


def check_alias(alias: Any) -> str:
    """An MLflow registered-model alias name, as MLflow accepts it.

    Raises:
        ConfigError: Anything else (MLflow answers "no such alias" for an invalid one, which would read as no production).

    Example:
        >>> check_alias("champion")
        'champion'
    """
    from gapgates.errors import ConfigError

    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.lower() == "latest" or re.match(r"^[vV][0-9]+$", alias):
        raise ConfigError(
            "The alias that marks production is an MLflow alias name: letters, digits, '_' and '-', not 'latest' "
            f"and not a version like 'v3'. Got {short_repr(alias)}. Pass --alias champion, or another such name."
        )
    return alias


def _metadata_digest(tags: Mapping[str, str]) -> str:
    """The sha256 of a version's gapgates tags (its metadata), leaving out those set after registration."""
    return json_sha256({k: v for k, v in tags.items() if k.startswith(_P) and k not in _UNSIGNED})


def _absolute(tracking_uri: str) -> str:
    """A tracking URI that names the same store from any directory (``sqlite:///rel.db`` → ``sqlite:////abs/rel.db``)."""
    scheme = urlparse(tracking_uri).scheme
    if tracking_uri.startswith("sqlite:///") and not tracking_uri.startswith("sqlite:////"):
        return "sqlite:///" + str(_sqlite_path(tracking_uri).absolute())
    if scheme == "":
        return str(Path(tracking_uri).absolute())
    return tracking_uri


def _lock_path(tracking_uri: str) -> Path | None:
    """The lock file gapgates' promoters of a local store share, or None for a tracking server."""
    scheme = urlparse(tracking_uri).scheme
    if scheme == "sqlite":
        path = _sqlite_path(tracking_uri)
        return None if str(path) in {"", ":memory:"} else path.with_name(path.name + ".gapgates.lock")
    if scheme in {"", "file"}:
        return (Path(unquote(urlparse(tracking_uri).path)) if scheme else Path(tracking_uri)) / ".gapgates.lock"
    return None


def _default_artifacts(tracking_uri: str) -> str | None:
    """Next to a sqlite store (``sqlite:///dir/mlflow.db`` → ``dir/mlartifacts``), never in the working directory."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()
    return None


def _flat_tags(metadata: dict[str, Any]) -> dict[str, str]:
    tags = {
        f"{_P}{k}": str(metadata[k])
        for k in ("decision", "sha256", "policy_hash", "data_fingerprint", "created", "name", "primary_metric")
        if metadata.get(k) is not None
    }
    for metric, values in (metadata.get("gap") or {}).items():
        for key, value in values.items():
            if value is not None:
                tags[f"{_P}gap.{metric}.{key}"] = f"{value:.6g}" if isinstance(value, float) else str(value)
    for section in ("training_sample", "estimate_reference"):
        for key, value in (metadata.get(section) or {}).items():
            if value is not None:
                tags[f"{_P}{section}.{key}"] = str(value)
    if isinstance(metadata.get("noise_rate"), (int, float)):  # the reference of [noise] max_rate_increase
        tags[f"{_P}noise_rate"] = repr(float(metadata["noise_rate"]))
    estimator = metadata.get("estimator")  # ...and the model that measured it (a server may hold 5,000 characters)
    if isinstance(estimator, str):
        from gapgates.history import identity_digest

        tags[f"{_P}estimator"] = estimator if len(estimator) <= 5000 else identity_digest(estimator)
    return tags


def _nested(tags: dict[str, str]) -> dict[str, Any]:
    """Version tags back to metadata: ``gapgates.gap.accuracy.gap_mean`` → ``{"gap": {"accuracy": {...}}}``."""
    meta: dict[str, Any] = {}
    for key, value in tags.items():
        if not key.startswith(_P):
            continue
        key = key.removeprefix(_P)
        if key.startswith("gap.") and key.count(".") >= 2:
            _, metric, field = key.split(".", 2)
            meta.setdefault("gap", {}).setdefault(metric, {})[field] = float(value)
        elif key.startswith(("training_sample.", "estimate_reference.")):
            section, field = key.split(".", 1)
            meta.setdefault(section, {})[field] = int(value) if field in {"rows", "of_rows"} else value
        elif key == "noise_rate":
            meta[key] = float(value)
        else:
            meta[key] = value
    return meta


def model_requirements(model: Any, *, held: Sequence[str] = ()) -> list[str]:
    """What loading ``model`` with MLflow alone needs, pinned to the versions installed here (``name==version``).

    The MLflow client this process uses (``mlflow-skinny`` when that is what is installed, so a consumer is not
    sent the full server package), pandas (``mlflow.pyfunc`` predicts on frames), skops (the model file's format),
    scikit-learn, and the distribution of every module the model's own classes come from: the model's type and
    the types skops lists beyond its defaults (``held``: an XGBoost model adds ``xgboost``).

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> sorted(r.split("==")[0] for r in model_requirements(LogisticRegression()))
        ['mlflow-skinny', 'pandas', 'scikit-learn', 'skops']
    """
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    roots = {"mlflow", "pandas", "skops", "sklearn", type(model).__module__.split(".")[0]}
    roots |= {name.split(".")[0] for name in held}
    owners = packages_distributions()
    pins: dict[str, str] = {}
    for root in sorted(roots - {"builtins", "__main__"}):
        for dist in owners.get(root, []):
            if root == "mlflow" and dist not in {"mlflow", "mlflow-skinny"}:
                continue  # mlflow-tracing and friends install into the same package
            try:
                pins[dist] = version(dist)
            except PackageNotFoundError:  # pragma: no cover - a stale record of an uninstalled distribution
                continue
    if "mlflow" in pins:  # the full package installed: mlflow-skinny comes with it, declare the one asked for
        pins.pop("mlflow-skinny", None)
    return [f"{dist}=={ver}" for dist, ver in sorted(pins.items())]


def _save_native(model: Any, path: Path, *, trusted: Sequence[str]) -> str:
    """Save ``model`` as an MLflow model directory (sklearn and pyfunc flavours, skops format); the model file's sha256.

    ``trusted`` lists the types beyond skops' defaults that the model holds (all already trusted by
    gapgates): they are written into the MLmodel file, so MLflow's own loaders accept exactly them.
    Requirements are given (:func:`model_requirements`), not inferred: inference loads the model again in a
    subprocess, and MLflow's default names the full ``mlflow`` package where ``mlflow-skinny`` is enough.
    """
    import mlflow.sklearn

    mlflow.sklearn.save_model(
        model,
        str(path),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=list(trusted) or None,
        pip_requirements=model_requirements(model, held=trusted),
    )
    return sha256_bytes((path / MODEL_FILE).read_bytes())


def run_name(name: str, metadata: dict[str, Any], created: str) -> str:
    """A run's name: model, decision and time (``scaled-logreg-promote-20261124-030000``)."""
    stamp = created[:19].replace("-", "").replace(":", "").replace("T", "-")
    return f"{name}-{metadata.get('decision') or 'registered'}-{stamp}"


def run_params(metadata: dict[str, Any]) -> dict[str, str]:
    """The run's params: model spec and parameters, folds, repeats, seed, policy hash."""
    params = {
        "model.spec": metadata.get("model_spec"),
        "cv.folds": metadata.get("folds"),
        "cv.repeats": metadata.get("repeats"),
        "cv.seed": metadata.get("seed"),
        "policy_hash": metadata.get("policy_hash"),
        "data_fingerprint": metadata.get("data_fingerprint"),
    }
    params.update({f"model.param.{k}": v for k, v in (metadata.get("params") or {}).items()})
    return {k: str(v)[:6000] for k, v in params.items() if v is not None}


def run_metrics(metadata: dict[str, Any]) -> dict[str, float]:
    """The run's metrics: per metric train, test, gap and interval bounds (and relative gap, holdout, the strong
    baseline's train, test and gap); noise rate; shift AUC."""
    names = {
        "train_mean": "train",
        "test_mean": "test",
        "gap_mean": "gap",
        "gap_ci_low": "gap_ci_low",
        "gap_ci_high": "gap_ci_high",
        "relative_gap": "relative_gap",
    }
    metrics: dict[str, Any] = {}
    for metric, values in (metadata.get("gap") or {}).items():
        metrics.update({f"{metric}.{names[k]}": v for k, v in values.items() if k in names})
    for metric, values in (metadata.get("holdout") or {}).items():
        if isinstance(values, dict):
            metrics.update({f"{metric}.holdout_{k}": v for k, v in values.items()})
    metrics.update({"noise_rate": metadata.get("noise_rate"), "shift_auc": metadata.get("shift_auc")})
    strong = metadata.get("strong_baseline")
    if isinstance(strong, dict):
        for metric, values in (strong.get("metrics") or {}).items():
            if isinstance(values, dict):
                metrics.update({f"{metric}.baseline_{k}": v for k, v in values.items()})
    return {k: float(v) for k, v in metrics.items() if is_number(v)}


def run_tags(metadata: dict[str, Any]) -> dict[str, str]:
    """The run's tags: the decision, the diagnosis and the reasons."""
    tags = {
        f"{_P}decision": metadata.get("decision"),
        f"{_P}diagnosis": metadata.get("diagnosis"),
        f"{_P}reasons": "; ".join(map(str, metadata.get("reasons") or []))[:5000] or None,
    }
    return {k: str(v) for k, v in tags.items() if v is not None}


def _store_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """MLflow, SQLAlchemy and HTTP failures of the store as one :class:`RegistryError` line."""

    @functools.wraps(fn)
    def wrapper(self: MlflowRegistry, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(self, *args, **kwargs)
        except RegistryError:
            raise
        except Exception as err:
            if not type(err).__module__.startswith(("mlflow", "requests", "urllib3", "sqlalchemy", "sqlite3")):
                raise
            raise RegistryError(f"The MLflow store '{self.tracking_uri}' failed: {first_line(err)}") from err

    return wrapper


class MlflowRegistry(Registry):
    """Model versions, a production alias and an audit log in an MLflow tracking store.

    Args:
        tracking_uri: MLflow tracking URI (``sqlite:///mlflow.db`` for a local store).
        model_name: Registered model name (default: the ``name`` of the first :meth:`register`,
            or the store's only registered model).
        alias: The alias that marks production.
        registry_uri: Model registry URI (default: the tracking URI).
        experiment: Experiment the registration runs are logged to.
        artifact_location: Where that experiment stores artifacts when it is created (default:
            ``mlartifacts/`` next to a sqlite store).
        trusted: Extra type names to trust when loading models.

    Raises:
        ImportError: When MLflow is not installed, with the install hint.
    """

    def __init__(
        self,
        tracking_uri: str,
        *,
        model_name: str | None = None,
        alias: str = "champion",
        registry_uri: str | None = None,
        experiment: str = "gapgates",
        artifact_location: str | None = None,
        trusted: Sequence[str] = (),
    ) -> None:
        check_tracking_uri(tracking_uri)
        check_alias(alias)
        self.tracking_uri = tracking_uri
        mlflow = _import_mlflow()
        self.client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri)
        self.model_name, self.alias, self.experiment, self.trusted = model_name, alias, experiment, tuple(trusted)
        self.artifact_location = artifact_location or _default_artifacts(tracking_uri)
        self.lock_timeout = 60.0

    @classmethod
    def locate(cls, address: str) -> str:
        """``mlflow:`` and the tracking URI, naming the same store from any directory."""
        return "mlflow:" + _absolute(address)

    @property
    def location(self) -> str:
        """``mlflow:`` and the tracking URI, naming the same store from any directory."""
        return self.locate(self.tracking_uri)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise promotions and rollbacks of a local store on a lock file beside it (a server: no lock)."""
        path = _lock_path(self.tracking_uri)
        if path is None:  # a tracking server: MLflow offers no lock or compare-and-set on an alias
            yield
            return
        with held(path, timeout=self.lock_timeout, holder="the MLflow store"):
            yield

    @classmethod
    def check_location(cls, address: str, *, must_exist: bool = False) -> None:
        """Refuse a tracking URI MLflow cannot use (:func:`check_tracking_uri`); MLflow is not imported."""
        check_tracking_uri(address, must_exist=must_exist)

    # -- helpers -----------------------------------------------------------------------------
    def _name(self) -> str | None:
        if self.model_name is None:
            models = self.client.search_registered_models()
            if len(models) == 1:
                self.model_name = models[0].name
            elif len(models) > 1:
                names = ", ".join(m.name for m in models)
                raise RegistryError(f"The MLflow store holds several models ({names}). Give model_name=.")
        return self.model_name

    def _tags(self) -> dict[str, str]:
        from mlflow.exceptions import MlflowException

        name = self._name()
        try:
            return {} if name is None else dict(self.client.get_registered_model(name).tags)
        except MlflowException:  # nothing registered under this name yet
            return {}

    def _version(self, version: str) -> Any:
        from mlflow.exceptions import MlflowException

        name = self._name()
        try:
            return self.client.get_model_version(str(name), str(version))
        except MlflowException:
            known = ", ".join(v.version for v in self.versions()) or "none"
            raise RegistryError(f"There is no version '{version}' of model {name!r}. Known: {known}.") from None

    @_store_errors
    def model_path(self, version: str) -> Path:
        """The local path of a version's model file (file-based artifact stores only)."""
        source = urlparse(self._version(version).source)
        return Path(unquote(source.path)) / MODEL_FILE

    def _checked_tags(self, version: str, tags: Mapping[str, str]) -> dict[str, str]:
        """A version's tags, refused when its metadata tags changed after registration (versions registered before
        gapgates recorded their checksum carry none)."""
        recorded = tags.get(META_CHECKSUM)
        if recorded is not None and recorded != (digest := _metadata_digest(tags)):
            raise IntegrityError(
                f"The metadata tags of version {version} of model {self.model_name!r} do not match their recorded sha256 "
                f"(expected {recorded[:12]}…, got {digest[:12]}…): they were changed after the version was registered; "
                "refusing to use them. Register the model again."
            )
        return dict(tags)

    def _checked_bytes(self, version: str, *, orphan_ok: bool = False) -> bytes:
        mv = self._version(version)
        self._checked_tags(version, mv.tags)
        if not orphan_ok and f"{_P}orphan" in mv.tags:
            raise RegistryError(f"Version {version} is an orphan (its promotion never finished). Register it again.")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                path = self.client.download_artifacts(mv.run_id, f"model/{MODEL_FILE}", dst_path=tmp)
                data = Path(path).read_bytes()
            except Exception as err:
                raise IntegrityError(f"The model file of version {version} cannot be read: {err}.") from None
        return checked(version, data, mv.tags.get(f"{_P}sha256"))

    def _audit(self, version: str | None, action: str, actor: str, reasons: Sequence[str], previous: str | None) -> None:
        tags = {} if version is None else self._version(version).tags
        entry = AuditEntry(
            time=now(),
            version=version,
            action=action,
            reasons=tuple(str(r)[:300] for r in reasons)[:10],
            policy_hash=tags.get(f"{_P}policy_hash"),
            data_fingerprint=tags.get(f"{_P}data_fingerprint"),
            actor=actor,
            previous=previous,
        )
        key = f"{_P}audit.{time.time_ns():020d}.{secrets.token_hex(2)}"
        self.client.set_registered_model_tag(str(self._name()), key, json.dumps(entry.to_dict(), sort_keys=True))

    def _switch(self, version: str, history: list[str]) -> None:
        name = str(self._name())
        self.client.set_registered_model_alias(name, self.alias, str(version))
        self.client.set_registered_model_tag(name, f"{_P}history", json.dumps(history))

    # -- the Registry interface ----------------------------------------------------------------
    @property
    @_store_errors
    def production(self) -> str | None:
        """The version the alias points to, or None."""
        from mlflow.exceptions import MlflowException

        name = self._name()
        if name is None:
            return None
        try:
            return str(self.client.get_model_version_by_alias(name, self.alias).version)
        except MlflowException:
            return None

    @_store_errors
    def _register(
        self,
        model: Any,
        *,
        name: str,
        metadata: dict[str, Any],
        report: dict[str, Any] | None,
        documents: Mapping[str, str] | None,
    ) -> str:
        """Log the model as a native MLflow model (sklearn flavour, skops format) in a run carrying the
        gate's params, metrics, tags and reports, and create a model version tagged with its results.

        ``mlflow.sklearn.load_model("models:/NAME@ALIAS")`` and ``mlflow.pyfunc.load_model`` load
        what this registers; :meth:`load` loads the same file after checking its sha256.
        """
        from mlflow.entities import Metric, Param
        from mlflow.exceptions import MlflowException

        data = serialize.dumps(model, trusted=self.trusted)  # refuses a model skops could not load back safely
        self.model_name = self.model_name or name
        created = now()
        exp = self.client.get_experiment_by_name(self.experiment)
        exp_id = (
            exp.experiment_id
            if exp is not None
            else self.client.create_experiment(self.experiment, artifact_location=self.artifact_location)
        )
        run = self.client.create_run(exp_id, run_name=run_name(name, metadata, created), tags=run_tags(metadata))
        run_id = run.info.run_id
        try:
            with tempfile.TemporaryDirectory() as tmp:
                digest = _save_native(model, Path(tmp) / "model", trusted=serialize.held_types(data))
                meta = {**metadata, "name": name, "created": created, "sha256": digest, "model_file": MODEL_FILE}
                (Path(tmp) / "model" / "metadata.json").write_text(json.dumps(meta, indent=2, default=str))
                self.client.log_artifacts(run_id, str(Path(tmp) / "model"), artifact_path="model")
                reports = Path(tmp) / "reports"
                reports.mkdir()
                if report is not None:
                    (reports / "report.json").write_text(json.dumps(report, indent=2, default=str))
                for file_name, text in (documents or {}).items():
                    (reports / Path(file_name).name).write_text(text, encoding="utf-8")
                if any(reports.iterdir()):
                    self.client.log_artifacts(run_id, str(reports))
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, v, int(time.time() * 1000), 0) for k, v in run_metrics(metadata).items()],
                params=[Param(k, v) for k, v in run_params(metadata).items()],
            )
        except BaseException:
            self.client.set_terminated(run_id, status="FAILED")
            raise
        self.client.set_terminated(run_id)
        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            self.client.create_registered_model(self.model_name)
        tags = _flat_tags(meta)
        tags[META_CHECKSUM] = _metadata_digest(tags)
        mv = self.client.create_model_version(self.model_name, source=f"{run.info.artifact_uri}/model", run_id=run_id, tags=tags)
        return str(mv.version)

    @_store_errors
    def promote(
        self,
        version: str,
        *,
        actor: str = "gapgates",
        reasons: Sequence[str] = (),
        expected: str | Expected | None = Expected.ANY,
    ) -> None:
        """Audit, then point the alias at ``version``; with ``expected``, only if the alias still points at that
        version (checked under the store's lock: see the module's docstring for what a tracking server guarantees).

        Raises:
            ProductionMoved: The alias does not point at ``expected``: nothing is audited or switched.
        """
        self._version(version)
        try:
            with self._locked():
                current = self.production
                check_expected(version, expected, current)  # nothing is written for a refused switch
                self._checked_bytes(version)
                history = json.loads(self._tags().get(f"{_P}history", "[]"))
                self._audit(version, "promote", actor, reasons, current)
                self._switch(version, after_promotion(current, history, version))
        except ProductionMoved:
            raise  # the version stays registered: it may be judged again against the new production
        except BaseException:
            if f"{_P}promoted" not in self._version(version).tags and self.production != version:
                self.client.set_model_version_tag(str(self._name()), version, f"{_P}orphan", "promotion failed")
            raise
        self.client.set_model_version_tag(str(self._name()), version, f"{_P}promoted", now())

    @_store_errors
    def _record(self, version: str | None, action: str, *, actor: str, reasons: tuple[str, ...]) -> None:
        """Append an audit entry; the alias does not move."""
        if version is not None:
            self._version(version)
        self._audit(version, action, actor, reasons, self.production)

    @_store_errors
    def rollback(self, *, to: str | None = None, actor: str = "gapgates") -> str:
        """Point the alias back at the previous production version (or ``to``); audited."""
        with self._locked():
            current = self.production
            history = json.loads(self._tags().get(f"{_P}history", "[]"))
            if to is not None:
                self._version(to)
            target, new_history = rollback_plan(current, history, to)
            self._checked_bytes(target)
            self._audit(target, "rollback", actor, [f"from {current} to {target}"], current)
            self._switch(target, new_history)
        return target

    @_store_errors
    def load(self, version: str | None = None) -> Any:
        """Download, verify the sha256 of, and load a version (production by default)."""
        version = version or self.production
        if version is None:
            raise RegistryError(f"MLflow model {self.model_name!r} has no '{self.alias}' alias yet. Promote a version.")
        return serialize.loads(self._checked_bytes(version), trusted=self.trusted)

    @_store_errors
    def _document(self, version: str, name: str) -> bytes | None:
        """A file logged with a version's run by :meth:`register` (``report.md``, ``training_sample.csv``...)."""
        from gapgates.registry.local import MAX_DOCUMENT_BYTES

        mv = self._version(version)
        found = {Path(f.path).name: f for f in self.client.list_artifacts(mv.run_id) if not f.is_dir}
        if name not in found:
            return None
        size = found[name].file_size
        if size is not None and size > MAX_DOCUMENT_BYTES:
            raise RegistryError(
                f"The file {name} of version {version} is {size:,} bytes, more than the "
                f"{MAX_DOCUMENT_BYTES:,} gapgates reads; refusing to download it."
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(self.client.download_artifacts(mv.run_id, name, dst_path=tmp))
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise RegistryError(
                    f"The file {name} of version {version} is larger than the {MAX_DOCUMENT_BYTES:,} "
                    "bytes gapgates reads; refusing it."
                )
            return path.read_bytes()

    @_store_errors
    def versions(self) -> list[VersionInfo]:
        """Every version, oldest first."""
        name = self._name()
        if name is None:
            return []
        production = self.production
        out = []
        for mv in sorted(self.client.search_model_versions(f"name='{name}'"), key=lambda m: int(m.version)):
            tags = self._checked_tags(str(mv.version), mv.tags)
            status = "production" if str(mv.version) == production else "registered"
            status = "orphan" if f"{_P}orphan" in tags else status
            meta = _nested(tags)
            out.append(
                VersionInfo(
                    version=str(mv.version),
                    name=name,
                    created=meta.get("created", ""),
                    sha256=meta.get("sha256", ""),
                    decision=meta.get("decision"),
                    status=status,
                    metadata=meta,
                )
            )
        return out

    def _read_audit(self) -> tuple[list[AuditEntry], list[str]]:
        tags = self._tags()
        entries, problems = [], []
        for key in sorted(k for k in tags if k.startswith(f"{_P}audit.")):
            try:
                data = json.loads(tags[key])
                if not isinstance(data, dict):
                    raise TypeError(f"a JSON {type(data).__name__}, not an object")
                entries.append(AuditEntry.from_dict(data))
            except (ValueError, KeyError, TypeError, RecursionError) as err:
                problems.append(f"audit tag {key} is unreadable ({brief(str(err), 120)}).")
        return entries, problems

    @_store_errors
    def audit(self) -> list[AuditEntry]:
        """Audit entries, oldest first (unreadable tags left out: :meth:`audit_problems`)."""
        return self._read_audit()[0]

    @_store_errors
    def audit_problems(self) -> list[str]:
        """One line per audit tag that cannot be read."""
        return self._read_audit()[1]

    @_store_errors
    def verify(self) -> list[str]:
        """Re-download and re-hash every version's model; check its metadata tags and the audit tags."""
        from mlflow.exceptions import MlflowException

        name = self._name()
        if name is None:
            return []
        problems = []
        for mv in sorted(self.client.search_model_versions(f"name='{name}'"), key=lambda m: int(m.version)):
            try:
                self._checked_bytes(str(mv.version), orphan_ok=True)
            except RegistryError as err:
                problems.append(str(err))
        production = self.production
        try:
            if production is not None:
                self.client.get_model_version(name, production)
        except MlflowException:
            problems.append(f"The alias '{self.alias}' points to version {production}, which does not exist.")
        return problems + self._read_audit()[1]
