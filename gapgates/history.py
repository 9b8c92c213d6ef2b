"""Run history: every gate run of every model in one embedded SQLite file.

The database runs in WAL mode with a busy timeout, so several ``gapgates check``
processes can record at once. A run is recorded from its ``report.json`` form,
so the history holds exactly what the report said.

A run that moves production is recorded *before* the switch with the outcome ``pending``, and settled
(:meth:`History.settle`, one transaction) once production moved or was refused: a pending row counts as
promoted only once a reader found the switch in the registry (:mod:`gapgates.registry.outcomes`).

Example:
    >>> import tempfile, pathlib
    >>> db = History(pathlib.Path(tempfile.mkdtemp()) / "history.sqlite")
    >>> db.add(RunRecord(time="2026-01-01T00:00:00+00:00", model="m", version=None, fingerprint="f",
    ...                  decision="promote", primary_metric="accuracy",
    ...                  gaps={"accuracy": MetricRecord(0.01, 0.0, 0.02)}))
    1
    >>> [r.decision for r in db.runs(model="m")]
    ['promote']
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gapgates.errors import ConfigError, GapGatesError, StorageError

__all__ = [
    "OUTCOMES",
    "History",
    "MetricRecord",
    "RunRecord",
    "describe_estimator",
    "estimator_identity",
    "estimator_of",
    "identity_digest",
    "record_from_report",
    "same_estimator",
]

#: What became of a run's candidate in its registry (a run without a registry has none):
#: ``pending`` (recorded before the production switch; not promoted until settled), ``promoted``, ``refused``
#: (production moved after the champion comparison), ``withdrawn`` (a step before the switch failed),
#: ``registered`` (passed, not asked to promote), ``blocked`` (not allowed), and, as readers settle a pending
#: run the registry shows no switch for, ``unfinished`` (the run ended before production moved: not promoted).
OUTCOMES = ("pending", "promoted", "refused", "withdrawn", "registered", "blocked", "unfinished")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    model TEXT NOT NULL,
    version TEXT,
    fingerprint TEXT,
    decision TEXT NOT NULL,
    primary_metric TEXT,
    noise_rate REAL,
    diagnosis TEXT,
    kind TEXT NOT NULL DEFAULT 'gate',
    outcome TEXT,
    registry TEXT,
    alias TEXT,
    batch TEXT,
    estimator TEXT
);
CREATE TABLE IF NOT EXISTS gaps (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    metric TEXT NOT NULL,
    gap REAL,
    ci_low REAL,
    ci_high REAL,
    PRIMARY KEY (run_id, metric)
);
CREATE INDEX IF NOT EXISTS runs_by_model ON runs(model, id);
CREATE TABLE IF NOT EXISTS approvals (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    approved INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    timed_out INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class MetricRecord:
    """The recorded gap of one metric: mean and interval bounds (None when not finite)."""

    gap: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class RunRecord:
    """One recorded gate run.

    Attributes:
        time: When the run finished (ISO 8601, UTC).
        model: Model name.
        version: Registry version, when the run registered one.
        fingerprint: sha256 of the training data.
        decision: promote, block or needs_approval.
        primary_metric: The metric the trend is judged on.
        gaps: ``{metric: MetricRecord}``.
        noise_rate: Share of rows flagged as label issues, when computed.
        diagnosis: Diagnosis label, when computed.
        approval: A person's answer to a ``needs_approval`` decision (``approved``, ``actor``,
            ``reason``, ``timed_out``: the report's ``approval`` section), or None.
        kind: ``gate`` for a gate run (check, run), or another kind of run recorded beside them
            (``monitor``; ``estimate``: a monitor run without labels, whose gaps are estimated); the gap trend reads
            gate runs only.
        outcome: What became of the candidate in its registry (one of :data:`OUTCOMES`; None without a registry).
        registry: The registry's location (absolute), to settle a ``pending`` outcome from.
        alias: The registry's production alias (an MLflow registry), or None.
        batch: The fresh rows' batch id (monitor and estimate runs), matching an estimate with its later labels.
        estimator: The model that measured the noise rate: its spec and parameters
            (:func:`estimator_identity`), None in a run recorded before it was kept.
        id: Row id in the database (0 before it is stored).
    """

    time: str
    model: str
    version: str | None
    fingerprint: str | None
    decision: str
    primary_metric: str | None
    gaps: dict[str, MetricRecord] = field(default_factory=dict)
    noise_rate: float | None = None
    diagnosis: str | None = None
    approval: dict[str, Any] | None = None
    kind: str = "gate"
    outcome: str | None = None
    registry: str | None = None
    alias: str | None = None
    batch: str | None = None
    estimator: str | None = None
    id: int = 0

    @property
    def promoted(self) -> bool:
        """Whether the run promoted its candidate: it decided ``promote`` (or a person approved it) and nothing says
        production did not move. A ``pending`` run is not promoted until settled from its registry."""
        approved = self.approval is not None and bool(self.approval.get("approved"))
        return (self.decision == "promote" or approved) and self.outcome in (None, "promoted")

    @property
    def primary_gap(self) -> float | None:
        """The mean gap of the primary metric."""
        rec = self.gaps.get(self.primary_metric or "")
        return None if rec is None else rec.gap

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``gapgates history --json`` and the report's ``history`` section)."""
        return asdict(self)


def _section(report: dict[str, Any], key: str) -> dict[str, Any]:
    value = report.get(key)
    return value if isinstance(value, dict) else {}


def record_from_report(report: dict[str, Any]) -> RunRecord:
    """The history record of a ``report.json`` mapping.

    Args:
        report: A report built by :func:`gapgates.report.build_report`.

    Returns:
        The record (not yet stored).
    """
    estimate = _section(report, "estimate")
    measured = _section(estimate, "scores") if estimate else _section(report, "gap")
    gaps = {metric: MetricRecord(g.get("gap_mean"), g.get("gap_ci_low"), g.get("gap_ci_high")) for metric, g in measured.items()}
    registry = _section(report, "registry")
    version = registry.get("version")
    return RunRecord(
        time=str(report.get("created")),
        model=str(_section(report, "model").get("name")),
        version=None if version is None else str(version),
        fingerprint=_section(report, "data").get("fingerprint"),
        decision=str(report.get("decision")),
        primary_metric=report.get("primary_metric"),
        gaps=gaps,
        noise_rate=_section(report, "noise").get("rate"),
        diagnosis=_section(report, "diagnosis").get("label"),
        approval=_section(report, "approval") or None,
        kind="estimate" if estimate else str(report.get("kind") or "gate"),
        outcome=registry.get("outcome"),
        registry=registry.get("location"),
        alias=registry.get("alias"),
        batch=_section(report, "batch").get("id"),
        estimator=_estimator(report),
    )


def _estimator(report: dict[str, Any]) -> str | None:
    """The report's model as :func:`estimator_identity` (None without a spec)."""
    model = _section(report, "model")
    spec, params = model.get("spec"), model.get("params")
    if spec is None:
        return None
    return estimator_identity(spec, params if isinstance(params, dict) else None)


#: Parameters that change how a model is fitted, not what it learns: left out of :func:`estimator_identity`.
RUNTIME_PARAMS = frozenset({"n_jobs", "verbose", "verbosity", "thread_count", "nthread", "num_threads", "random_state"})


def _canonical(value: Any) -> Any:
    """A parameter value as two runs of the same setting write it: ``1`` and ``1.0`` alike."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    return str(value)


def estimator_identity(spec: Any, params: Mapping[str, Any] | None) -> str:
    """The model a noise rate was measured by, as a string two runs of the same model share: its spec and the
    parameters the user set, numbers as floats (``C=1`` and ``C=1.0`` alike), without those that change only how it
    is fitted (:data:`RUNTIME_PARAMS`: ``n_jobs``, ``verbose``, ``random_state``...). A parameter set to its default
    value counts as set: ``{}`` and ``{"C": 1.0}`` are two identities.

    Example:
        >>> estimator_identity("sklearn.svm.SVC", {"C": 1, "kernel": "rbf", "verbose": True})
        '{"params": {"C": 1.0, "kernel": "rbf"}, "spec": "sklearn.svm.SVC"}'
    """
    kept = {str(k): _canonical(v) for k, v in (params or {}).items() if k not in RUNTIME_PARAMS}
    return json.dumps({"params": kept, "spec": str(spec)}, sort_keys=True, default=str)


def estimator_of(config: Any) -> str:
    """The :func:`estimator_identity` of a run's configured model (a :class:`gapgates.config.CheckConfig`): its spec
    and its parameters as the report writes them, so a run, its registry version and its history row agree."""
    return estimator_identity(config.model, config.model_dump(mode="json")["params"])


def identity_digest(identity: str) -> str:
    """``sha256:<hex>`` of an identity: what a registry that holds short values (an MLflow tag) records instead of a
    long one; :func:`same_estimator` compares it with the identity it came from."""
    import hashlib

    return "sha256:" + hashlib.sha256(identity.encode()).hexdigest()


def same_estimator(a: str, b: str) -> bool:
    """Whether two identities (or an identity and the :func:`identity_digest` of one) name the same model."""
    if a.startswith("sha256:") or b.startswith("sha256:"):
        return (a if a.startswith("sha256:") else identity_digest(a)) == (b if b.startswith("sha256:") else identity_digest(b))
    return a == b


def describe_estimator(identity: str) -> str:
    """An identity in words: ``SVC(C=0.5, kernel='rbf')`` (a whole number without its ``.0``).

    Example:
        >>> describe_estimator(estimator_identity("sklearn.svm.SVC", {"C": 0.5, "degree": 3}))
        'SVC(C=0.5, degree=3)'
    """
    if identity.startswith("sha256:"):
        return f"a model recorded by its digest {identity[7:19]}…"
    try:
        parsed = json.loads(identity)
        spec, params = str(parsed["spec"]), dict(parsed["params"])
    except (ValueError, KeyError, TypeError):
        return identity[:80]
    name = spec.replace(":", ".").rsplit(".", 1)[-1]
    shown = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in params.items()}
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


_TABLES = {
    "runs": {"id", "time", "model", "version", "fingerprint", "decision", "primary_metric", "noise_rate", "diagnosis"},
    "gaps": {"run_id", "metric", "gap", "ci_low", "ci_high"},
}


def _storage(err: sqlite3.Error) -> bool:
    """Whether ``err`` is a full disk or an I/O error (the file cannot be written), not a foreign or damaged file."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY)
    return any(s in str(err) for s in ("disk is full", "disk I/O error", "unable to open", "readonly database"))


def _busy(err: sqlite3.Error) -> bool:
    """Whether ``err`` is SQLite's "busy" or "locked" (another connection holds the file), not damage."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(err) or "busy" in str(err)


class History:
    """The run-history database at ``path`` (created on first :meth:`add`; reading never creates or changes a file).

    A file that exists must be a gapgates history (or an empty SQLite file): any other database
    is refused, unchanged.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout

    def _read_only(self) -> sqlite3.Connection:
        """A connection that creates no file: ``immutable`` unless a writer's WAL exists (then ``mode=ro``)."""
        from urllib.parse import quote

        wal = self.path.with_name(self.path.name + "-wal")
        uri = f"file:{quote(str(self.path.resolve()))}?" + ("mode=ro" if wal.exists() else "mode=ro&immutable=1")
        return sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)

    def _check_path(self) -> bool:
        """Refuse a directory or special file; return whether there is a database to read."""
        path = self.path
        if path.is_dir():
            raise ConfigError(f"The history database '{path}' is a directory. Pass a file path to --history.")
        if not path.exists() or (path.is_file() and path.stat().st_size == 0):
            return False
        if not path.is_file():
            raise ConfigError(f"The history database '{path}' is not a regular file. Pass a file path to --history.")
        return True

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        """Refuse another application's database (read only; raises ``sqlite3.Error`` on a damaged file)."""
        found = {
            name: {row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")}
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        ours = {name: columns for name, columns in found.items() if name != "sqlite_sequence"}
        if not ours:
            return
        if any(not columns <= ours.get(name, set()) for name, columns in _TABLES.items()):
            shown = ", ".join(sorted(ours)[:8])
            raise ConfigError(
                f"The history database '{self.path}' belongs to another application (tables: {shown}), "
                "not gapgates. Pass another --history path; the file was not changed."
            )

    def check(self) -> None:
        """Refuse a file that is not a gapgates history (read-only; a missing or empty file passes).

        Raises:
            ConfigError: When the path is a directory, not an SQLite file, or another application's database.
        """
        if not self._check_path():
            return
        try:
            with closing(self._read_only()) as conn:
                self._check_tables(conn)
        except sqlite3.Error as err:
            raise self._foreign(err) from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self._check_path()
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise ConfigError(
                f"The history database '{self.path}' cannot be opened: {err}. Pass a writable --history path."
            ) from None
        try:
            with closing(conn):
                self._prepare(conn)
                yield conn
        except StorageError:
            if created:  # a history that could never be written: leave no empty file, -wal or -shm behind
                for leftover in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm", "-journal"))):
                    with suppress(OSError):
                        leftover.unlink(missing_ok=True)
            raise

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL and create the tables, retrying while another process holds the file.

        Two steps escape SQLite's busy handler: changing the journal mode, and a read transaction
        upgrading to a write after another process committed (``SQLITE_BUSY_SNAPSHOT`` in WAL mode).
        Both answer "database is locked" at once, so they are retried here until ``timeout``. The tables
        are created in one transaction, so another process never sees a part of the schema.

        Raises:
            ConfigError: When the file is not an SQLite database, or stays locked past ``timeout``.
        """
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                conn.execute("BEGIN")  # one snapshot: the tables are checked as they were at one moment
                try:
                    self._check_tables(conn)  # before anything is written: another application's file stays as it was
                finally:
                    conn.execute("COMMIT")
                if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}")  # all tables or none, never a part
                columns = _columns(conn, "runs")
                if "kind" not in columns:  # a history written before run kinds were recorded
                    conn.execute("ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'gate'")
                for added in ("outcome", "registry", "alias", "batch", "estimator"):  # ...outcomes, batches, models
                    if added not in columns:
                        conn.execute(f"ALTER TABLE runs ADD COLUMN {added} TEXT")
                conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as err:
                if conn.in_transaction:
                    conn.rollback()
                if not _busy(err):
                    raise self._foreign(err) from None
                if time.monotonic() >= deadline:
                    raise ConfigError(
                        f"The history database '{self.path}' stayed locked by another process for {self.timeout:g} s. "
                        "Retry when the other run has finished, or pass another --history path."
                    ) from None
                time.sleep(delay * (1 + random.random()))  # jitter, so racing writers part
                delay = min(delay * 2, 0.25)
            except sqlite3.DatabaseError as err:
                raise self._foreign(err) from None

    def _foreign(self, err: sqlite3.Error) -> GapGatesError:
        if _storage(err):
            return self._full(err)
        return ConfigError(
            f"The history database '{self.path}' is not a gapgates history ({err}). Pass another "
            "--history path; the file was not changed."
        )

    def _full(self, err: sqlite3.Error) -> StorageError:
        return StorageError(
            f"Could not write the history database '{self.path}': {err}. Free space or pass a writable --history path; "
            "the run was not recorded."
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back when it raises."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise (self._full(err) if _storage(err) else err) from None
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def add(self, record: RunRecord) -> int:
        """Store one run in a single transaction and return its id."""
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (time, model, version, fingerprint, decision, primary_metric, noise_rate,"
                " diagnosis, kind, outcome, registry, alias, batch, estimator)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.time,
                    record.model,
                    record.version,
                    record.fingerprint,
                    record.decision,
                    record.primary_metric,
                    record.noise_rate,
                    record.diagnosis,
                    record.kind,
                    record.outcome,
                    record.registry,
                    record.alias,
                    record.batch,
                    record.estimator,
                ),
            )
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO gaps (run_id, metric, gap, ci_low, ci_high) VALUES (?, ?, ?, ?, ?)",
                [(run_id, m, g.gap, g.ci_low, g.ci_high) for m, g in record.gaps.items()],
            )
            if record.approval is not None:
                a = record.approval
                conn.execute(
                    "INSERT INTO approvals (run_id, approved, actor, reason, timed_out) VALUES (?, ?, ?, ?, ?)",
                    (run_id, bool(a.get("approved")), str(a.get("actor")), a.get("reason"), bool(a.get("timed_out"))),
                )
        return run_id

    def settle(self, run_id: int, *, outcome: str, decision: str | None = None) -> None:
        """Record what became of a run's candidate once production moved (or did not), in one transaction.

        Args:
            run_id: The run's id (from :meth:`add`).
            outcome: One of :data:`OUTCOMES` (``promoted``, ``refused``, ``withdrawn``...).
            decision: The run's decision when it changed (a refused promotion is a ``block``), else None.

        Raises:
            ConfigError: An outcome outside :data:`OUTCOMES`, or no such run.
            StorageError: When the file cannot be written.
        """
        if outcome not in OUTCOMES:
            raise ConfigError(f"A run's outcome is one of {', '.join(OUTCOMES)}. Got {outcome!r}.")
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE runs SET outcome = ?, decision = COALESCE(?, decision) WHERE id = ?", (outcome, decision, run_id)
            )
            if cur.rowcount != 1:
                raise ConfigError(f"The history database '{self.path}' holds no run {run_id} to settle.")

    def runs(self, *, model: str | None = None, last: int | None = None, kind: str | None = None) -> list[RunRecord]:
        """Recorded runs, oldest first (values that are not what gapgates writes are read as missing: :meth:`read`).

        Args:
            model: Only runs of this model.
            last: Only the most recent ``last`` runs (of the selected ones).
            kind: Only runs of this kind (``gate`` or ``monitor``); all kinds when None.

        Returns:
            The records.
        """
        return self.read(model=model, last=last, kind=kind)[0]

    def estimate_of(self, model: str, *, version: str | None, batch: str | None) -> RunRecord | None:
        """The latest label-free estimate of ``batch`` for ``version`` of ``model``, or None.

        Example:
            >>> import tempfile, pathlib
            >>> db = History(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
            >>> _ = db.add(RunRecord(time="t", model="m", version="v1", fingerprint=None, decision="ok",
            ...                      primary_metric="accuracy", kind="estimate", batch="b1"))
            >>> db.estimate_of("m", version="v1", batch="b1").kind, db.estimate_of("m", version="v1", batch="b2")
            ('estimate', None)
        """
        if batch is None:
            return None
        found = [r for r in self.runs(model=model, kind="estimate") if r.batch == batch and r.version == version]
        return found[-1] if found else None

    def read(
        self, *, model: str | None = None, last: int | None = None, kind: str | None = None
    ) -> tuple[list[RunRecord], list[str]]:
        """Recorded runs, oldest first, and one line per value that was read as missing because it is not what
        gapgates writes (a gap or noise rate that is not a number, an unknown outcome: a file edited by hand).

        Args:
            model: Only runs of this model.
            last: Only the most recent ``last`` runs (of the selected ones).
            kind: Only runs of this kind (``gate`` or ``monitor``); all kinds when None.

        Returns:
            The records and the problems.
        """
        self.check()
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return [], []
        try:
            with closing(self._read_only()) as conn:
                columns = _columns(conn, "runs")
                clauses, args = [], []
                if model is not None:
                    clauses.append("model = ?")
                    args.append(model)
                if kind is not None:
                    clauses.append("kind = ?" if "kind" in columns else "? = 'gate'")  # older files hold gate runs only
                    args.append(kind)
                where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
                limit = "" if last is None else f"LIMIT {int(last)}"
                return self._rows(conn, where, args, limit, columns=columns)
        except sqlite3.Error as err:
            raise ConfigError(f"The history database '{self.path}' cannot be read: {err}.") from None

    @staticmethod
    def _rows(
        conn: sqlite3.Connection, where: str, args: list[Any], limit: str, *, columns: set[str]
    ) -> tuple[list[RunRecord], list[str]]:
        optional = ", ".join(
            name if name in columns else default
            for name, default in (
                ("kind", "'gate'"),
                ("outcome", "NULL"),
                ("registry", "NULL"),
                ("alias", "NULL"),
                ("batch", "NULL"),
                ("estimator", "NULL"),
            )
        )
        rows = conn.execute(
            f"SELECT id, time, model, version, fingerprint, decision, primary_metric, noise_rate, diagnosis, {optional}"
            f" FROM runs {where} ORDER BY id DESC {limit}",
            args,
        ).fetchall()
        ids = [r[0] for r in rows]
        problems: list[str] = []

        def real(run_id: int, what: str, value: Any) -> float | None:
            number = _real(value)
            if number is None and value is not None:
                problems.append(f"run {run_id}: the {what} {str(value)[:40]!r} is not a number (read as missing).")
            return number

        gaps: dict[int, dict[str, MetricRecord]] = {i: {} for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            for run_id, metric, g, lo, hi in conn.execute(
                f"SELECT run_id, metric, gap, ci_low, ci_high FROM gaps WHERE run_id IN ({marks})", ids
            ):
                gaps.setdefault(run_id, {})[str(metric)] = MetricRecord(
                    real(run_id, f"{metric} gap", g),
                    real(run_id, f"{metric} interval bound", lo),
                    real(run_id, f"{metric} interval bound", hi),
                )
        approvals: dict[int, dict[str, Any]] = {}
        has_approvals = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'approvals'").fetchone()
        if ids and has_approvals:  # a history written before approvals were recorded has no such table
            marks = ",".join("?" * len(ids))
            approvals = {
                run_id: {"approved": bool(ok), "actor": str(actor), "reason": str(reason), "timed_out": bool(late)}
                for run_id, ok, actor, reason, late in conn.execute(
                    f"SELECT run_id, approved, actor, reason, timed_out FROM approvals WHERE run_id IN ({marks})", ids
                )
            }
        records = []
        for i, t, m, v, f, d, p, n, dg, k, outcome, location, alias, batch, estimator in reversed(rows):
            if outcome is not None and outcome not in OUTCOMES:
                problems.append(
                    f"run {i}: the outcome {str(outcome)[:40]!r} is not one gapgates writes (read as pending: not "
                    "promoted unless its registry shows the switch)."
                )
                outcome = "pending"
            records.append(
                RunRecord(
                    time=str(t),
                    model=str(m),
                    version=None if v is None else str(v),
                    fingerprint=f,
                    decision=str(d),
                    primary_metric=p,
                    gaps=gaps[i],
                    noise_rate=real(i, "noise rate", n),
                    diagnosis=dg,
                    approval=approvals.get(i),
                    kind=str(k),
                    outcome=outcome,
                    registry=None if location is None else str(location),
                    alias=None if alias is None else str(alias),
                    batch=None if batch is None else str(batch),
                    estimator=None if estimator is None else str(estimator),
                    id=i,
                )
            )
        return records, problems


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in conn.execute(f"PRAGMA table_info('{table}')")}


def _real(value: Any) -> float | None:
    """A stored number, or None for anything else (a history written by hand may hold text)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def dumps(records: list[RunRecord]) -> str:
    """The JSON list printed by ``gapgates history --json``."""
    return json.dumps([r.to_dict() for r in records], indent=2)
