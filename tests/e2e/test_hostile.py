"""The hostile-input corpus: every command, fed what a hostile or careless user would feed it.

Each case names the class of the issue it covers ("Why" in issue 12) and asserts the exit-code
contract: the exit code, exactly one stderr line (``gapgates: error: ...`` naming the problem),
no traceback, and that production, the history and every input file are unchanged — nothing is
created, changed or removed anywhere in the world the command ran in. Cases run in this process
(click's runner) unless the process boundary is the point (``SystemExit``, ``os._exit``, signals,
resource limits); ``process=True`` runs them as ``python -m gapgates``.

Cases that reach a decision (invalid model outputs) exit 1: they may write their report, a history
row and a blocked version, but production does not move and no input changes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from gapgates.cli import cli
from tests.helpers import ROOT, closed_port
from tests.hostile_world import build_world, changes, copy_world, model_file, snapshot

LOGREG = "sklearn.linear_model.LogisticRegression"
CHECK = ["check", "--data", "data.csv", "--target", "y", "--policy", "lenient.toml", "--folds", "3"]
RUN = ["run", "--data", "data.csv", "--target", "y", "--policy", "lenient.toml", "--folds", "3"]
PROMOTING = ["--registry", "registry", "--promote", "--out", "out", "--history", "out-history.sqlite"]
#: Models from a file cannot be registered (skops trusts no user class): their decisions are published only.
PUBLISHING = ["--out", "out", "--history", "out-history.sqlite"]


@dataclass(frozen=True)
class Case:
    """One hostile input.

    Attributes:
        id: Test id.
        why: The class of the issue it belongs to.
        argv: The command line (paths relative to the world).
        code: The expected exit code.
        says: Text the one stderr line must contain.
        setup: Makes the hostile file(s) in the world before the snapshot.
        process: Run as a subprocess (``python -m gapgates``).
        decides: The case reaches a decision (exit 1): reports, a history row and a blocked version may
            be written, production may not move.
        env: Extra environment variables.
        shows: Text stdout must contain (a read command that answers, exit 0, with one ``gapgates: note:`` line).
        writes: Paths under the world the command may create (a read command's --out), nothing else.
    """

    id: str
    why: str
    argv: list[str]
    code: int
    says: str
    setup: Callable[[Path], None] | None = None
    process: bool = False
    decides: bool = False
    env: dict[str, str] = field(default_factory=dict)
    shows: str = ""
    writes: tuple[str, ...] = ()


def write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def make(world: Path) -> None:
        path = world / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    return make


def steps(*makers: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(world: Path) -> None:
        for maker in makers:
            maker(world)

    return make


def mkdir(name: str) -> Callable[[Path], None]:
    return lambda world: (world / name).mkdir(parents=True, exist_ok=True)


def link(name: str, target: str) -> Callable[[Path], None]:
    def make(world: Path) -> None:
        path = world / name
        if path.exists() or path.is_symlink():
            if path.is_dir() and not path.is_symlink():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
        path.symlink_to(world / target)

    return make


def replace(name: str, content: str | bytes) -> Callable[[Path], None]:
    def make(world: Path) -> None:
        path = world / name
        if path.is_dir():
            path.rmdir()
        elif path.exists():
            path.unlink()
        write(name, content)(world)

    return make


def as_directory(name: str) -> Callable[[Path], None]:
    def make(world: Path) -> None:
        (world / name).unlink()
        (world / name).mkdir()

    return make


def sqlite_file(name: str, *statements: str) -> Callable[[Path], None]:
    """A SQLite file made by ``statements``."""

    def make(world: Path) -> None:
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(world / name)) as conn:
            for statement in statements:
                conn.execute(statement)
            conn.commit()

    return make


def foreign_sqlite(name: str) -> Callable[[Path], None]:
    """Another application's database."""
    return sqlite_file(name, "CREATE TABLE customers (id INTEGER, name TEXT)", "INSERT INTO customers VALUES (1, 'ada')")


ALIAS_BOMB = (
    "a: &a ["
    + ",".join(['"lol"'] * 9)
    + "]\n"
    + "".join(f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]\n" for a, b in zip("abcdefg", "bcdefgh"))
    + "gap: *h\n"
)
DEEP_YAML = "gap: " + "[" * 3000 + "]" * 3000 + "\n"
DEEP_TOML = "x = " + "[" * 3000 + "]" * 3000 + "\n"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
BIG_TOML = "# padding\n" * 120_000 + "[gap]\nmax_gap = 0.5\n"
DUPLICATES = "a,b,a,y\n" + "".join(f"{i},{i % 3},{i * 2},{i % 2}\n" for i in range(60))
DUPLICATE_TARGET = "a,y,y\n" + "".join(f"{i},{i % 2},{i * 0.37 - 1.17:.2f}\n" for i in range(60))
CONTINUOUS = "a,b,y\n" + "".join(f"{i},{(i * 7) % 11},{i * 0.731 - 3.2:.4f}\n" for i in range(60))
BAD_TIME = "a,b,when,y\n" + "".join(f"{i},{i % 5},2024-01-{i % 28 + 1:02d},{i % 2}\n" for i in range(59)) + "9,9,tomorrow,1\n"
GROUPS = "a,b,site,y\n" + "".join(f"{i},{i % 5},{'' if i == 7 else i % 6},{i % 2}\n" for i in range(60))


#: A port nothing listens on, for an unreachable Prefect API.
CLOSED = closed_port()


def _cases() -> list[Case]:
    m = model_file
    cases = [
        # --- the exit-code contract: usage errors are one line, exit 2 ---------------------------------------
        Case("usage-unknown-option", "usage", [*CHECK, "--model", LOGREG, "--bogus"], 2, "No such option '--bogus'"),
        Case("usage-unknown-command", "usage", ["chekc"], 2, "No such command 'chekc'"),
        Case("usage-missing-data", "usage", ["check", "--target", "y", "--model", LOGREG], 2, "'data' is required"),
        Case("usage-folds-not-int", "usage", [*CHECK, "--model", LOGREG, "--folds", "three"], 2, "'--folds'"),
        Case("usage-history-last-0", "usage", ["history", "--history", "registry/history.sqlite", "--last", "0"], 2, "'--last'"),
        Case(
            "usage-profile-margin",
            "usage",
            ["profile", "--data", "data.csv", "--out", "s.json", "--margin", "11"],
            2,
            "'--margin'",
        ),
        Case("usage-param-without-equals", "usage", [*CHECK, "--model", LOGREG, "--param", "C"], 2, "KEY=VALUE"),
        Case("usage-run-unknown-option", "usage", [*RUN, "--model", LOGREG, "--bogus"], 2, "No such option"),
        # --- user code controls nothing: one line naming model, step and fold; exit 2 -------------------------
        Case(
            "code-fit-runtime",
            "user code",
            [*CHECK, "--model", m("RaiseFit")],
            2,
            "RaiseFit raised RuntimeError in fit on fold 1 of 3: boom in fit",
        ),
        Case("code-fit-zerodiv", "user code", [*CHECK, "--model", m("ZeroDivFit")], 2, "raised ZeroDivisionError in fit"),
        Case("code-fit-keyerror", "user code", [*CHECK, "--model", m("KeyErrorFit")], 2, "raised KeyError in fit"),
        Case("code-fit-memory", "user code", [*CHECK, "--model", m("MemoryFit")], 2, "ran out of memory (MemoryError) in fit"),
        Case("code-fit-recursion", "user code", [*CHECK, "--model", m("RecursionFit")], 2, "raised RecursionError in fit"),
        Case("code-fit-exit-1", "user code", [*CHECK, "--model", m("ExitOneFit")], 2, "called sys.exit(1) in fit"),
        Case(
            "code-fit-exit-0",
            "user code",
            [*CHECK, "--model", m("ExitFit")],
            2,
            "called sys.exit(0) in fit on fold 1",
            process=True,
        ),
        Case(
            "code-fit-os-exit-0", "user code", [*CHECK, "--model", m("OsExitFit")], 2, "called os._exit(0) in fit", process=True
        ),
        Case(
            "code-worker-exit-0",
            "user code",
            [*CHECK, "--model", m("ExitFit"), "--n-jobs", "2"],
            2,
            "called sys.exit(0) in fit on fold",
            process=True,
        ),
        Case(
            "code-worker-os-exit-0",
            "user code",
            [*CHECK, "--model", m("OsExitFit"), "--n-jobs", "2"],
            2,
            "called os._exit(0) in fit",
            process=True,
        ),
        Case(
            "code-worker-raises",
            "user code",
            [*CHECK, "--model", m("RaiseFit"), "--n-jobs", "2"],
            2,
            "raised RuntimeError in fit on fold",
        ),
        Case(
            "code-predict-raises",
            "user code",
            [*CHECK, "--model", m("PredictRaises")],
            2,
            "raised ValueError in predict on the test rows of fold 1 of 3: bad predict",
        ),
        Case(
            "code-proba-raises",
            "user code",
            [*CHECK, "--model", m("ProbaRaises")],
            2,
            "raised TypeError in predict_proba on the test rows of fold 1 of 3",
        ),
        Case(
            "code-decision-raises",
            "user code",
            [*CHECK[:-4], "--policy", "auc.toml", "--folds", "3", "--model", m("DecisionRaises")],
            2,
            "raised ArithmeticError in decision_function",
        ),
        Case("code-scorer-exit", "user code", [*CHECK, "--model", m("ScoreExit")], 2, "called sys.exit(3) in predict"),
        Case("code-get-params", "user code", [*CHECK, "--model", m("GetParamsRaises")], 2, "raised RuntimeError in clone"),
        Case(
            "code-set-params",
            "user code",
            [*CHECK, "--model", m("SetParamsRaises"), "--param", "C=2"],
            2,
            "raised RuntimeError in set_params",
        ),
        Case(
            "code-factory-raises",
            "user code",
            [*CHECK, "--model", m("raising_factory")],
            2,
            "raised ZeroDivisionError in the call raising_factory()",
        ),
        Case(
            "code-factory-not-estimator",
            "user code",
            [*CHECK, "--model", m("not_an_estimator")],
            2,
            "is not a scikit-learn estimator",
        ),
        Case("code-needs-args", "user code", [*CHECK, "--model", m("NeedsArgs")], 2, "cannot be built without arguments"),
        Case(
            "code-import-error",
            "user code",
            [*CHECK, "--model", "import_error.py:M"],
            2,
            "raised ModuleNotFoundError in the import of its file import_error.py",
        ),
        Case(
            "code-syntax-error",
            "user code",
            [*CHECK, "--model", "syntax_error.py:M"],
            2,
            "raised SyntaxError in the import of its file syntax_error.py",
        ),
        Case(
            "code-exit-on-import",
            "user code",
            [*CHECK, "--model", "exit_on_import.py:M"],
            2,
            "called sys.exit(0) in the import of its file",
            process=True,
        ),
        Case("code-model-file-missing", "user code", [*CHECK, "--model", "nowhere.py:M"], 2, "does not exist"),
        Case(
            "code-model-file-directory",
            "user code",
            [*CHECK, "--model", "outside.py:M"],
            2,
            "is a directory",
            setup=mkdir("outside.py"),
        ),
        Case(
            "code-bad-param-value",
            "user code",
            [*CHECK, "--model", "sklearn.tree.DecisionTreeClassifier", "--param", "max_depth=-2"],
            2,
            "raised InvalidParameterError in fit on fold 1 of 3: The 'max_depth' parameter",
        ),
        Case(
            "code-run-fit-raises",
            "user code",
            [*RUN, "--model", m("RaiseFit")],
            2,
            "RaiseFit raised RuntimeError in fit on fold",
            process=True,
        ),
        # --- invalid model outputs fail the gate (exit 1), naming the fold; nothing is promoted --------------
        Case(
            "outputs-stock-model-nan-proba",
            "invalid outputs",
            [
                "check",
                "--data",
                "constant.csv",
                "--target",
                "y",
                "--policy",
                "lenient.toml",
                "--folds",
                "3",
                "--model",
                "sklearn.naive_bayes.GaussianNB",
                "--param",
                "var_smoothing=0",
                *PROMOTING,
            ],
            1,
            "predict_proba on the",
            decides=True,
        ),
        Case(
            "outputs-nan-proba",
            "invalid outputs",
            [*CHECK, "--model", m("NanProba"), *PUBLISHING],
            1,
            "predict_proba on the",
            decides=True,
        ),
        Case(
            "outputs-negative-proba",
            "invalid outputs",
            [*CHECK, "--model", m("NegativeProba"), *PUBLISHING],
            1,
            "outside [0, 1]",
            decides=True,
        ),
        Case(
            "outputs-unnormalised-proba",
            "invalid outputs",
            [*CHECK, "--model", m("UnnormalisedProba"), *PUBLISHING],
            1,
            "sums to 0.5, not 1",
            decides=True,
        ),
        Case(
            "outputs-wide-proba",
            "invalid outputs",
            [*CHECK, "--model", m("WideProba"), *PUBLISHING],
            1,
            "the shape is",
            decides=True,
        ),
        Case(
            "outputs-text-proba",
            "invalid outputs",
            [*CHECK, "--model", m("TextProba"), *PUBLISHING],
            1,
            "not numbers",
            decides=True,
        ),
        Case(
            "outputs-inf-proba", "invalid outputs", [*CHECK, "--model", m("InfProba"), *PUBLISHING], 1, "infinite", decides=True
        ),
        Case(
            "outputs-short-predict",
            "invalid outputs",
            [*CHECK, "--model", m("ShortPredict"), *PUBLISHING],
            1,
            "predict on the",
            decides=True,
        ),
        Case(
            "outputs-nan-regression",
            "invalid outputs",
            [
                "check",
                "--data",
                "regression.csv",
                "--target",
                "y",
                "--policy",
                "lenient.toml",
                "--folds",
                "3",
                "--model",
                m("NanRegressor"),
                *PUBLISHING,
            ],
            1,
            "are NaN",
            decides=True,
        ),
        Case(
            "outputs-inf-decision",
            "invalid outputs",
            [*CHECK[:-4], "--policy", "auc.toml", "--folds", "3", "--model", m("InfDecision"), *PUBLISHING],
            1,
            "decision_function on the",
            decides=True,
        ),
        Case(
            "outputs-nan-proba-workers",
            "invalid outputs",
            [*CHECK, "--model", m("NanProba"), "--n-jobs", "2", *PUBLISHING],
            1,
            "predict_proba on the",
            decides=True,
        ),
        Case(
            "outputs-run-nan-proba",
            "invalid outputs",
            [
                "run",
                "--data",
                "constant.csv",
                "--target",
                "y",
                "--policy",
                "lenient.toml",
                "--folds",
                "3",
                "--model",
                "sklearn.naive_bayes.GaussianNB",
                "--param",
                "var_smoothing=0",
                *PROMOTING,
            ],
            1,
            "predict_proba on the",
            decides=True,
            process=True,
        ),
        # --- bounded resources ----------------------------------------------------------------------------
        Case("resources-n-jobs-0", "resources", [*CHECK, "--model", LOGREG, "--n-jobs", "0"], 2, "'n_jobs'"),
        Case(
            "resources-repeats-million",
            "resources",
            [*CHECK, "--model", LOGREG, "--repeats", "1000000"],
            2,
            "would fit the model 3,000,000 times",
        ),
        Case(
            "resources-folds-billion",
            "resources",
            [*CHECK[:-2], "--model", LOGREG, "--folds", "1000000000"],
            2,
            "raise the limit with --max-fits",
        ),
        Case(
            "resources-learning-curve",
            "resources",
            [*CHECK, "--model", LOGREG, "--repeats", "30", "--learning-curve"],
            2,
            "for the learning curve",
        ),
        Case("resources-max-fits-0", "resources", [*CHECK, "--model", LOGREG, "--max-fits", "0"], 2, "'--max-fits'"),
        Case(
            "resources-yaml-alias-bomb",
            "resources",
            [*CHECK[:-4], "--policy", "bomb.yaml", "--model", LOGREG],
            2,
            "aliases (*name) are not allowed",
            setup=write("bomb.yaml", ALIAS_BOMB),
        ),
        Case(
            "resources-yaml-deep",
            "resources",
            [*CHECK[:-4], "--policy", "deep.yaml", "--model", LOGREG],
            2,
            "nests more than 32 levels",
            setup=write("deep.yaml", DEEP_YAML),
        ),
        Case(
            "resources-toml-deep",
            "resources",
            [*CHECK[:-4], "--policy", "deep.toml", "--model", LOGREG],
            2,
            "nests more than 32 levels",
            setup=write("deep.toml", DEEP_TOML),
        ),
        Case(
            "resources-policy-too-big",
            "resources",
            [*CHECK[:-4], "--policy", "big.toml", "--model", LOGREG],
            2,
            "larger than the limit of 1,048,576 bytes",
            setup=write("big.toml", BIG_TOML),
        ),
        Case(
            "resources-config-too-big",
            "resources",
            ["check", "--config", "big.toml"],
            2,
            "larger than the limit",
            setup=write("big.toml", BIG_TOML),
        ),
        Case(
            "resources-config-deep",
            "resources",
            ["check", "--config", "deep.toml"],
            2,
            "nests more than 32 levels",
            setup=write("deep.toml", DEEP_TOML),
        ),
        Case(
            "resources-suite-deep",
            "resources",
            [*CHECK[:-4], "--policy", "suite.toml", "--model", LOGREG],
            2,
            "nests more than 64 levels",
            setup=steps(write("suite.toml", '[quality]\nsuite = "suite.json"\n'), write("suite.json", DEEP_JSON)),
        ),
        Case(
            "resources-run-yaml-bomb",
            "resources",
            [*RUN[:-4], "--policy", "bomb.yaml", "--model", LOGREG],
            2,
            "aliases (*name) are not allowed",
            setup=write("bomb.yaml", ALIAS_BOMB),
        ),
        Case(
            "resources-bomb-under-rlimit",
            "resources",
            [*CHECK[:-4], "--policy", "bomb.yaml", "--model", LOGREG],
            2,
            "aliases (*name) are not allowed",
            setup=write("bomb.yaml", ALIAS_BOMB),
            process=True,
            env={"GAPGATES_TEST_RLIMIT_AS": str(3 << 30)},
        ),
        # --- bad values, named in one line before any work -----------------------------------------------
        Case("values-seed-negative", "bad values", [*CHECK, "--model", LOGREG, "--seed", "-5"], 2, "'seed' must be"),
        Case("values-seed-2-32", "bad values", [*CHECK, "--model", LOGREG, "--seed", str(2**32)], 2, "2**32 - 1"),
        Case(
            "values-holdout-nan",
            "bad values",
            [*CHECK, "--model", LOGREG, "--holdout-fraction", "nan"],
            2,
            "strictly between 0 and 1. Got nan",
        ),
        Case(
            "values-holdout-1.5",
            "bad values",
            [*CHECK, "--model", LOGREG, "--holdout-fraction", "1.5"],
            2,
            "strictly between 0 and 1",
        ),
        Case(
            "values-policy-not-utf8",
            "bad values",
            [*CHECK[:-4], "--policy", "latin.toml", "--model", LOGREG],
            2,
            "is not UTF-8 text",
            setup=write("latin.toml", "[gap]\n# caf\xe9\n".encode("latin-1")),
        ),
        Case(
            "values-config-not-utf8",
            "bad values",
            ["check", "--config", "latin.toml"],
            2,
            "is not UTF-8 text",
            setup=write("latin.toml", 'data = "caf\xe9.csv"\n'.encode("latin-1")),
        ),
        Case(
            "values-policy-directory", "bad values", [*CHECK[:-4], "--policy", "outside", "--model", LOGREG], 2, "is a directory"
        ),
        Case(
            "values-out-is-file", "bad values", [*CHECK, "--model", LOGREG, "--out", "data.csv"], 2, "is a file, not a directory"
        ),
        Case(
            "values-out-under-file",
            "bad values",
            [*CHECK, "--model", LOGREG, "--out", "data.csv/reports"],
            2,
            "'data.csv' is a file",
        ),
        Case(
            "values-out-unwritable",
            "bad values",
            [*CHECK, "--model", LOGREG, "--out", "/proc/gapgates/out"],
            2,
            "is not writable",
        ),
        Case(
            "values-out-holds-directory",
            "bad values",
            [*CHECK, "--model", LOGREG, "--out", "rep"],
            2,
            "holds a directory named 'report.json'",
            setup=mkdir("rep/report.json"),
        ),
        Case("values-history-directory", "bad values", [*CHECK, "--model", LOGREG, "--history", "outside"], 2, "is a directory"),
        Case(
            "values-history-under-file",
            "bad values",
            [*CHECK, "--model", LOGREG, "--history", "data.csv/h.sqlite"],
            2,
            "'data.csv' is a file",
        ),
        Case(
            "values-history-foreign-sqlite",
            "bad values",
            [*CHECK, "--model", LOGREG, "--history", "crm.sqlite"],
            2,
            "belongs to another application",
            setup=foreign_sqlite("crm.sqlite"),
        ),
        Case(
            "values-mlflow-empty",
            "bad values",
            [*CHECK, "--model", LOGREG, "--registry", "mlflow:"],
            2,
            "needs a tracking URI after 'mlflow:'",
        ),
        Case(
            "values-mlflow-scheme",
            "bad values",
            [*CHECK, "--model", LOGREG, "--registry", "mlflow:gopher://x"],
            2,
            "unsupported scheme 'gopher:'",
        ),
        Case(
            "values-registry-is-file",
            "bad values",
            [*CHECK, "--model", LOGREG, "--registry", "data.csv"],
            2,
            "The registry directory (--registry) 'data.csv' is a file, not a directory",
        ),
        Case(
            "values-profile-out-directory",
            "bad values",
            ["profile", "--data", "data.csv", "--out", "outside"],
            2,
            "is a directory",
        ),
        Case(
            "values-profile-out-under-file",
            "bad values",
            ["profile", "--data", "data.csv", "--out", "data.csv/suite.json"],
            2,
            "'data.csv' is a file",
        ),
        Case(
            "values-report-out-file",
            "bad values",
            ["report", "--from", "registry/versions/v1", "--out", "data.csv"],
            2,
            "is a file, not a directory",
        ),
        Case(
            "values-report-out-unwritable",
            "bad values",
            ["report", "--from", "registry/versions/v1", "--out", "/proc/gapgates/r"],
            2,
            "is not writable",
        ),
        Case("values-run-seed", "bad values", [*RUN, "--model", LOGREG, "--seed", "-1"], 2, "'seed' must be"),
        Case(
            "values-run-out-file", "bad values", [*RUN, "--model", LOGREG, "--out", "data.csv"], 2, "is a file, not a directory"
        ),
        # --- registry and history files: one line, exit 2, nothing written or followed -----------------------
        Case(
            "registry-production-directory",
            "registry files",
            [*CHECK, "--model", LOGREG, *PROMOTING[:3]],
            2,
            "production alias 'registry/production.json' is not a regular file",
            setup=as_directory("registry/production.json"),
        ),
        Case(
            "registry-production-list",
            "registry files",
            ["registry", "list", "--registry", "registry"],
            2,
            "is not what gapgates writes",
            setup=replace("registry/production.json", "[1, 2]"),
        ),
        Case(
            "registry-production-escapes",
            "registry files",
            ["registry", "show", "--registry", "registry"],
            2,
            "not a version like v3",
            setup=replace("registry/production.json", '{"version": "../../outside"}'),
        ),
        Case(
            "registry-production-not-json",
            "registry files",
            ["registry", "rollback", "--registry", "registry"],
            2,
            "is unreadable",
            setup=replace("registry/production.json", "{not json"),
        ),
        Case(
            "registry-metadata-list",
            "registry files",
            ["registry", "list", "--registry", "registry"],
            2,
            "is a JSON list, not an object",
            setup=replace("registry/versions/v1/metadata.json", "[]"),
        ),
        Case(
            "registry-model-file-escapes",
            "registry files",
            ["registry", "verify", "--registry", "registry"],
            2,
            "not a file of the version's own directory",
            setup=lambda w: _edit_metadata(w, model_file="../../outside/secret.txt", checksum=True),
        ),
        Case(
            "registry-audit-not-utf8",
            "registry files",
            ["registry", "verify", "--registry", "registry"],
            2,
            "audit log line 2 is unreadable",
            setup=lambda w: (w / "registry/audit.jsonl").write_bytes((w / "registry/audit.jsonl").read_bytes() + b"\xff\xfe{\n"),
        ),
        Case(
            "registry-lock-symlink",
            "registry files",
            ["registry", "rollback", "--registry", "registry", "--to", "v1"],
            2,
            "The lock file 'registry/.lock' is a symbolic link",
            setup=link("registry/.lock", "outside/secret.txt"),
        ),
        Case(
            "registry-audit-symlink",
            "registry files",
            [*CHECK, "--model", LOGREG, *PROMOTING],
            2,
            "The audit log 'registry/audit.jsonl' is a symbolic link",
            setup=link("registry/audit.jsonl", "outside/secret.txt"),
        ),
        Case(
            "registry-version-symlink",
            "registry files",
            ["registry", "show", "--registry", "registry"],
            2,
            "Version v2 'registry/versions/v2' is a symbolic link",
            setup=link("registry/versions/v2", "outside"),
        ),
        Case(
            "registry-versions-symlink",
            "registry files",
            [*CHECK, "--model", LOGREG, *PROMOTING],
            2,
            "The versions directory 'registry/versions' is a symbolic link",
            setup=link("registry/versions", "outside"),
        ),
        Case(
            "registry-missing-read-only", "read-only writes", ["registry", "list", "--registry", "nowhere"], 2, "does not exist"
        ),
        Case(
            "registry-mlflow-missing-db",
            "read-only writes",
            ["registry", "list", "--registry", "mlflow:sqlite:///nowhere.db"],
            2,
            "read-only command never creates one",
        ),
        Case(
            "registry-mlflow-foreign-db",
            "read-only writes",
            ["registry", "show", "--registry", "mlflow:sqlite:///crm.sqlite"],
            2,
            "is not an MLflow database",
            setup=foreign_sqlite("crm.sqlite"),
        ),
        Case(
            "registry-mlflow-empty-uri",
            "read-only writes",
            ["registry", "verify", "--registry", "mlflow:"],
            2,
            "needs a tracking URI",
        ),
        Case(
            "registry-config-mlflow-empty",
            "read-only writes",
            ["check", "--config", "gg.toml"],
            2,
            "needs a tracking URI",
            setup=write("gg.toml", f'data = "data.csv"\ntarget = "y"\nmodel = "{LOGREG}"\nregistry = "mlflow:"\n'),
        ),
        Case(
            "registry-rollback-nothing",
            "registry files",
            ["registry", "rollback", "--registry", "registry"],
            2,
            "no previous production version",
        ),
        Case(
            "registry-unknown-version",
            "registry files",
            ["registry", "show", "v9", "--registry", "registry"],
            2,
            "There is no version 'v9'",
        ),
        Case(
            "history-foreign-sqlite",
            "read-only writes",
            ["history", "--history", "crm.sqlite"],
            2,
            "belongs to another application",
            setup=foreign_sqlite("crm.sqlite"),
        ),
        Case("history-directory", "read-only writes", ["history", "--history", "outside"], 2, "is a directory"),
        Case("history-text-file", "read-only writes", ["history", "--history", "data.csv"], 2, "is not a gapgates history"),
        Case("history-missing", "read-only writes", ["history", "--history", "nowhere.sqlite"], 2, "No run history at"),
        # --- one truth: what a killed run left, corrupt state read commands refuse, what they skipped ----------
        Case(
            "truth-history-pending-never-live",
            "one truth",
            ["history", "--history", "registry/history.sqlite", "--json"],
            0,
            "",
            setup=steps(_registered, _pending_row("v2")),
            shows='"outcome": "unfinished"',
        ),
        Case(
            "truth-history-pending-live",
            "one truth",
            ["history", "--history", "registry/history.sqlite"],
            0,
            "",
            setup=_pending_row("v1"),
            shows="promote         promoted",
        ),
        Case(
            "truth-digest-production-no-version",
            "one truth",
            ["digest", "--history", "registry/history.sqlite", "--registry", "registry", "--out", "dg"],
            2,
            "names v9, which is not a version of the registry",
            setup=replace("registry/production.json", '{"version": "v9", "history": []}'),
        ),
        Case(
            "truth-show-metadata-edited",
            "one truth",
            ["registry", "show", "--registry", "registry"],
            2,
            "The metadata of version v1 ('registry/versions/v1/metadata.json') does not match its recorded sha256",
            setup=lambda w: _edit_metadata(w, noise_rate=0.5),
        ),
        Case(
            "truth-verify-metadata-edited",
            "one truth",
            ["registry", "verify", "--registry", "registry"],
            2,
            "changed after the version was registered",
            setup=lambda w: _edit_metadata(w, gap={"accuracy": {"test_mean": 0.1}}),
        ),
        Case(
            "truth-check-metadata-edited",
            "one truth",
            [*CHECK, "--model", LOGREG, *PROMOTING],
            2,
            "changed after the version was registered",
            setup=lambda w: _edit_metadata(w, noise_rate=0.9),
        ),
        Case(
            "truth-show-skips-audit-line",
            "one truth",
            ["registry", "show", "--registry", "registry"],
            0,
            "skipped 1 unreadable audit line(s), which 'gapgates registry verify' lists: audit log line 2 is unreadable",
            setup=lambda w: (w / "registry/audit.jsonl").write_bytes((w / "registry/audit.jsonl").read_bytes() + b"\xff\xfe{\n"),
            shows="production: v1",
        ),
        Case(
            "truth-digest-skips-audit-line",
            "one truth",
            ["digest", "--history", "registry/history.sqlite", "--registry", "registry", "--out", "dg"],
            0,
            "skipped 1 unreadable line(s), listed under 'skipped' in digest.json: registry 'registry': audit log line 2",
            setup=lambda w: (w / "registry/audit.jsonl").write_bytes((w / "registry/audit.jsonl").read_bytes() + b"[1]\n"),
            shows="production v1",
            writes=("dg",),
        ),
        Case(
            "truth-history-skips-text",
            "one truth",
            ["history", "--history", "registry/history.sqlite"],
            0,
            "read 1 value(s) of 'registry/history.sqlite' as missing: run 1: the noise rate 'lots' is not a number",
            setup=_text_in_history,
            shows="LogisticRegression",
        ),
        Case(
            "truth-registry-no-command",
            "one truth",
            ["registry"],
            2,
            "registry' needs a command: one of list, rollback, show, verify. See '",
        ),
        Case(
            "truth-untrusted-class-names-the-cli-fix",
            "one truth",
            [*CHECK, "--model", m("PlainCentroid"), "--registry", "registry", "--promote"],
            2,
            "Run without --registry to judge it without registering it",
        ),
        Case(
            "truth-mlflow-alias-escapes",
            "one truth",
            ["registry", "show", "--registry", "mlflow:sqlite:///m.db", "--alias", "../../x"],
            2,
            "an MLflow alias name: letters, digits, '_' and '-'",
            setup=_mlflow_tables("m.db"),
        ),
        Case(
            "truth-approve-without-api",
            "approval",
            ["approve", "0b1c2d3e-0000-4000-8000-000000000000", "--approver", "alice"],
            2,
            "set PREFECT_API_URL to that server's API",
            process=True,
            env={"PREFECT_API_URL": ""},
        ),
        Case(
            "truth-reject-unreachable-api",
            "approval",
            ["reject", "0b1c2d3e-0000-4000-8000-000000000000", "--approver", "bob"],
            2,
            f"The Prefect API at PREFECT_API_URL=http://127.0.0.1:{CLOSED}/api is not reachable",
            process=True,
            env={"PREFECT_API_URL": f"http://127.0.0.1:{CLOSED}/api"},
        ),
        Case(
            "truth-approve-huge-reason",
            "approval",
            ["approve", "0b1c2d3e-0000-4000-8000-000000000000", "--approver", "alice", "--reason", "x" * 102_400],
            2,
            "--reason is recorded in the audit log, the reports and the history: at most 2,000 characters. Got 102,400.",
            process=True,
        ),
        # --- report --from: hostile report.json ------------------------------------------------------------
        Case(
            "report-deep-json",
            "report --from",
            ["report", "--from", "rj"],
            2,
            "nests more than 64 levels",
            setup=write("rj/report.json", DEEP_JSON),
        ),
        Case(
            "report-not-json",
            "report --from",
            ["report", "--from", "rj"],
            2,
            "is not valid JSON",
            setup=write("rj/report.json", "{decision: promote"),
        ),
        Case(
            "report-a-list",
            "report --from",
            ["report", "--from", "rj"],
            2,
            "does not match the report schema",
            setup=write("rj/report.json", "[]"),
        ),
        Case(
            "report-not-utf8",
            "report --from",
            ["report", "--from", "rj"],
            2,
            "is not UTF-8 text",
            setup=write("rj/report.json", b'{"decision": "\xff"}'),
        ),
        Case(
            "report-too-big",
            "report --from",
            ["report", "--from", "registry/versions/v1"],
            2,
            "GAPGATES_MAX_REPORT_BYTES",
            env={"GAPGATES_MAX_REPORT_BYTES": "100"},
        ),
        Case("report-missing", "report --from", ["report", "--from", "nowhere"], 2, "does not exist"),
        Case(
            "report-directory",
            "report --from",
            ["report", "--from", "rj/report.json"],
            2,
            "is a directory",
            setup=mkdir("rj/report.json/report.json"),
        ),
        # --- messages that name the real problem --------------------------------------------------------------
        Case(
            "messages-duplicate-columns",
            "messages",
            ["check", "--data", "dup.csv", "--target", "y", "--model", LOGREG],
            2,
            "has the column 'a' twice (columns 1 and 3)",
            setup=write("dup.csv", DUPLICATES),
        ),
        Case(
            "messages-duplicate-target",
            "messages",
            ["check", "--data", "dup.csv", "--target", "y", "--model", LOGREG],
            2,
            "has the column 'y' twice",
            setup=write("dup.csv", DUPLICATE_TARGET),
        ),
        Case(
            "messages-continuous-target",
            "messages",
            ["check", "--data", "cont.csv", "--target", "y", "--model", LOGREG],
            2,
            "looks continuous",
            setup=write("cont.csv", CONTINUOUS),
        ),
        Case(
            "messages-data-directory",
            "messages",
            ["check", "--data", "outside", "--target", "y", "--model", LOGREG],
            2,
            "Data file 'outside' is a directory",
        ),
        Case(
            "messages-time-unparseable",
            "messages",
            ["check", "--data", "t.csv", "--target", "y", "--time", "when", "--model", LOGREG],
            2,
            "neither numbers nor dates",
            setup=write("t.csv", BAD_TIME),
        ),
        Case(
            "messages-time-is-target",
            "messages",
            [*CHECK, "--model", LOGREG, "--time", "y"],
            2,
            "target and time columns must differ",
        ),
        Case(
            "messages-time-is-group",
            "messages",
            [*CHECK, "--model", LOGREG, "--time", "a", "--group", "a"],
            2,
            "group and time columns must differ",
        ),
        Case(
            "messages-holdout-both",
            "messages",
            [*CHECK, "--model", LOGREG, "--holdout", "data.csv", "--holdout-fraction", "0.2"],
            2,
            "not both",
        ),
        Case(
            "messages-group-missing",
            "messages",
            ["check", "--data", "g.csv", "--target", "y", "--group", "site", "--model", LOGREG],
            2,
            "group column 'site' has 1 missing",
            setup=write("g.csv", GROUPS),
        ),
        Case(
            "messages-profile-header-only",
            "messages",
            ["profile", "--data", "h.csv", "--out", "s.json"],
            2,
            "no rows to profile",
            setup=write("h.csv", "a,b,y\n"),
        ),
        Case(
            "messages-run-time-is-target",
            "messages",
            ["run", "--data", "cont.csv", "--target", "y", "--model", LOGREG, "--time", "y"],
            2,
            "must differ",
            setup=write("cont.csv", CONTINUOUS),
        ),
    ]
    return cases


def _edit_metadata(world: Path, *, checksum: bool = False, **changes_: object) -> None:
    """Edit v1's metadata.json; with ``checksum``, rewrite its own checksum too (as a hand that knows the format)."""
    from gapgates.registry.files import json_sha256

    path = world / "registry/versions/v1/metadata.json"
    meta = json.loads(path.read_text())
    meta.update(changes_)
    if checksum:
        meta.pop("metadata_sha256", None)
        meta["metadata_sha256"] = json_sha256(meta)
    path.write_text(json.dumps(meta))


def _pending_row(version: str) -> Callable[[Path], None]:
    """A history row a run recorded before the production switch of ``version`` and never settled (it was killed)."""

    def make(world: Path) -> None:
        from gapgates.history import History
        from tests.helpers import run_record

        History(world / "registry/history.sqlite").add(
            run_record(model="LogisticRegression", version=version, outcome="pending", registry=str(world / "registry"))
        )

    return make


def _registered(world: Path) -> None:
    """v2: registered in the world's registry and never promoted (a run killed before its switch)."""
    from sklearn.dummy import DummyClassifier

    from gapgates.registry import LocalRegistry

    LocalRegistry(world / "registry").register(
        DummyClassifier().fit([[0.0], [1.0]], [0, 1]), name="LogisticRegression", metadata={"decision": "promote"}
    )


def _mlflow_tables(name: str) -> Callable[[Path], None]:
    """A sqlite file with the tables an MLflow store has (enough for a read command to get to the alias)."""
    tables = ("CREATE TABLE registered_models (name TEXT)", "CREATE TABLE model_versions (name TEXT, version INTEGER)")
    return sqlite_file(name, *tables)


def _text_in_history(world: Path) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(world / "registry/history.sqlite")) as conn:
        conn.execute("UPDATE runs SET noise_rate = 'lots' WHERE id = 1")
        conn.commit()


CASES = _cases()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return build_world(tmp_path_factory.mktemp("template") / "world")


def _invoke(case: Case, world: Path, monkeypatch) -> tuple[int, str, str]:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if not case.process:
        result = CliRunner().invoke(cli, case.argv)
        return result.exit_code, result.stderr, result.stdout
    env = dict(case.env)
    limit = env.pop("GAPGATES_TEST_RLIMIT_AS", None)
    code = "import resource, runpy, sys\n"
    if limit:
        code += f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    code += "sys.argv = ['gapgates', *sys.argv[1:]]\nrunpy.run_module('gapgates', run_name='__main__')\n"
    proc = subprocess.run(
        [sys.executable, "-c", code, *case.argv],
        capture_output=True,
        text=True,
        cwd=world,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    return proc.returncode, proc.stderr, proc.stdout


def _production(world: Path) -> bytes:
    path = world / "registry/production.json"
    return path.read_bytes() if path.is_file() else b"(not a file)"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, template: Path, tmp_path: Path, monkeypatch, request):
    if "run" in case.argv[:1] and case.process:
        monkeypatch.setenv("PREFECT_API_URL", request.getfixturevalue("prefect_api"))
    world = copy_world(template, tmp_path / "world")
    if case.setup is not None:
        case.setup(world)
    monkeypatch.chdir(world)
    production, audit = _production(world), (world / "registry/audit.jsonl").read_bytes()
    before = snapshot(world)
    started = time.monotonic()
    code, stderr, stdout = _invoke(case, world, monkeypatch)
    elapsed = time.monotonic() - started
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == case.code, stderr
    assert "Traceback" not in stderr, stderr
    if case.decides:
        assert lines == [], stderr  # a decision prints its summary on stdout
        report = json.loads((world / "out/report.json").read_text())
        failed = {c["name"]: c["message"] for c in report["checks"] if c["status"] == "fail"}
        assert report["decision"] == "block" and case.says in failed.get("model_outputs", ""), failed
        noise = next(c["status"] for c in report["checks"] if c["name"] == "label_noise")
        assert "fold" in failed["model_outputs"] and noise in {"fail", "skipped"}  # cleanlab never judged them
        assert _production(world) == production  # production did not move
        assert (world / "registry/audit.jsonl").read_bytes().startswith(audit)  # the audit log only grew
        moved = [c for c in changes(before, snapshot(world)) if not c.startswith("added ")]
        registered = "--registry" in case.argv
        assert moved == (["changed registry/audit.jsonl"] if registered else []), moved  # inputs, history untouched
        if registered:
            assert report["registry"]["promoted"] is False
    elif case.code == 0 and not case.says:  # a read command that answers: nothing on stderr
        assert lines == [], stderr
        assert case.shows in stdout, stdout
        assert changes(before, snapshot(world)) == []
    else:
        assert len(lines) == 1, stderr
        prefix = "gapgates: error: " if case.code else "gapgates: note: "  # a read command that answers says what it skipped
        assert lines[0].startswith(prefix) and case.says in lines[0], lines[0]
        assert case.shows in stdout, stdout
        moved = [c for c in changes(before, snapshot(world)) if not c.startswith(tuple(f"added {w}" for w in case.writes))]
        assert moved == []  # nothing created, changed or removed (but what a read command's --out holds)
    assert elapsed < (300 if case.process else 120), f"{case.id} took {elapsed:.0f} s"


def test_the_corpus_covers_every_class_of_the_issue_and_every_command():
    classes = {c.why for c in CASES}
    assert classes >= {
        "usage",
        "user code",
        "invalid outputs",
        "resources",
        "bad values",
        "registry files",
        "read-only writes",
        "report --from",
        "messages",
        "one truth",
        "approval",
    }
    commands = {c.argv[0] for c in CASES}
    assert commands >= {"check", "run", "profile", "registry", "history", "report", "digest", "approve", "reject"}
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)


def test_an_interrupt_is_exit_130_and_promotes_nothing(template, tmp_path):
    world = copy_world(template, tmp_path / "world")
    marker = tmp_path / "fitting"
    before = snapshot(world)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GAPGATES_TEST_MARKER": str(marker)}
    # A shell starts background jobs (nohup, `&`, some CI runners) with SIGINT ignored, and Python keeps an
    # inherited SIG_IGN: restore the default in the child, as a terminal would have it.
    proc = subprocess.Popen(
        [sys.executable, "-m", "gapgates", *CHECK, "--model", model_file("Sleeper"), "--registry", "registry", "--promote"],
        cwd=world,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=60)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert [line for line in stderr.splitlines() if line.strip()] == ["gapgates: error: interrupted; nothing was promoted."]
    assert changes(before, snapshot(world)) == []


def test_a_keyboard_interrupt_raised_by_the_model_is_an_interrupt_too(template, tmp_path, monkeypatch):
    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)
    before = snapshot(world)
    result = CliRunner().invoke(cli, [*CHECK, "--model", model_file("InterruptFit"), "--registry", "registry", "--promote"])
    assert result.exit_code == 130 and result.stderr == "gapgates: error: interrupted; nothing was promoted.\n"
    assert changes(before, snapshot(world)) == []


def test_an_internal_error_is_exit_3_in_one_line_and_debug_shows_the_traceback(template, tmp_path, monkeypatch):
    import gapgates.pipeline.steps as steps_module

    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)

    def broken(policy, evidence, **kwargs):
        raise RuntimeError("a bug in the judge")

    monkeypatch.setattr(steps_module, "evaluate", broken)
    before = snapshot(world)
    argv = [*CHECK, "--model", LOGREG, "--registry", "registry", "--promote", "--out", "out"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "internal error (RuntimeError: a bug in the judge)" in result.stderr
    assert "nothing was promoted" in result.stderr and "--debug" in result.stderr
    assert changes(before, snapshot(world)) == []
    debug = CliRunner().invoke(cli, ["--debug", *argv])
    assert debug.exit_code == 3 and "Traceback" in debug.stderr and "a bug in the judge" in debug.stderr
    assert changes(before, snapshot(world)) == []


def test_a_deciding_command_that_ends_without_a_decision_is_exit_3(template, tmp_path, monkeypatch):
    import gapgates.cli.check as check_module

    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)
    monkeypatch.setattr(check_module, "decision_exit", lambda ctx, promoted: None)  # a path that forgets to decide
    result = CliRunner().invoke(cli, [*CHECK, "--model", LOGREG])
    assert result.exit_code == 3 and "ended without a decision" in result.stderr


def test_the_n_jobs_clip_is_one_note_line_and_the_run_decides(template, tmp_path, monkeypatch):
    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)
    result = CliRunner().invoke(cli, [*CHECK, "--model", LOGREG, "--n-jobs", "10000"])
    assert result.exit_code in (0, 1), result.stderr
    from gapgates.config import usable_cores

    workers = min(usable_cores(), 3)
    assert result.stderr == (
        f"gapgates: note: --n-jobs 10000 uses {workers} worker(s): {usable_cores()} usable core(s), 3 fold fit(s) per pass.\n"
    )


def _pending_report(world: Path, version: str) -> Path:
    """out/report.json as a run killed between publishing and recording left it: pending, for ``version``."""
    report = json.loads((world / "registry/versions/v1/report.json").read_text())
    report["registry"] = {
        "version": version,
        "promoted": False,
        "production": None,
        "previous": None,
        "outcome": "pending",
        "reason": None,
        "location": str(world / "registry"),
        "alias": None,
    }
    (world / "out").mkdir(exist_ok=True)
    (world / "out/report.json").write_text(json.dumps(report))
    return world / "out"


def test_report_from_settles_a_pending_report_as_the_registry_says(template, tmp_path, monkeypatch):
    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)
    _registered(world)  # v2 never went live; v1 is production
    for version, says in (("v2", "not promoted: the run ended before production moved"), ("v1", "promoted to production")):
        out = _pending_report(world, version)
        before = (out / "report.json").read_bytes()
        result = CliRunner().invoke(cli, ["report", "--from", "out"])
        assert result.exit_code == 0 and result.stderr == "", result.stderr
        markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
        assert says in markdown and says in page and "settled from the registry" in markdown
        assert "pending" not in markdown.split("## Registry")[1]
        assert (out / "report.json").read_bytes() == before  # the run's own record is left as it wrote it


def test_the_noise_reference_skips_a_run_that_never_went_live(template, tmp_path, monkeypatch):
    from gapgates.history import History
    from tests.helpers import run_record

    world = copy_world(template, tmp_path / "world")
    monkeypatch.chdir(world)
    _registered(world)
    history = History(world / "registry/history.sqlite")
    [live] = history.runs()
    history.add(  # a later run, killed before its switch: its noise rate must not become the reference
        run_record(model="LogisticRegression", version="v2", outcome="pending", registry=str(world / "registry"), noise_rate=0.0)
    )
    result = CliRunner().invoke(cli, [*CHECK, "--model", LOGREG, "--history", "registry/history.sqlite", "--out", "out"])
    assert result.exit_code in (0, 1), result.stderr
    reference = json.loads((world / "out/report.json").read_text())["noise"]["reference"]
    assert reference["source"] == "history" and reference["version"] == live.time and reference["rate"] == live.noise_rate
