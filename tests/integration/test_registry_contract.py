"""The registry contract: every registered backend (:data:`gapgates.registry.BACKENDS`) passes these checks.

As scikit-learn's ``check_estimator`` runs one set of checks on every estimator, this module runs one set on
every backend registered when the tests are collected, through the ``Registry`` interface only: a new backend
(one module plus its :func:`~gapgates.registry.register_backend`) is tested here without a line added. Each
backend opens its ``example`` location in a temporary directory (the MLflow one: a sqlite store, no server);
a backend whose ``requires`` modules are missing is skipped. Crash and concurrency tests are the directory's
own (tests/e2e/test_registry.py); MLflow's own clients are in tests/integration/test_mlflow.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gapgates.enforcement import enforce
from gapgates.errors import ConfigError, IntegrityError, ProductionMoved, PromotionBlocked, RegistryError
from gapgates.judge.checks import Outcome
from gapgates.registry import (
    ACTIONS,
    BACKENDS,
    Backend,
    Expected,
    Registry,
    backend_for,
    check_location,
    locate,
    open_registry,
)
from tests.helpers import META, PERMISSIVE, STRICT, X, Y, gate_run, write_noisy


def test_the_built_in_backends_are_registered():
    assert {"directory", "mlflow"} <= set(BACKENDS)  # the parametrisation below is not silently empty


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend(request) -> Backend:
    backend = BACKENDS[request.param]
    for module in backend.requires:
        pytest.importorskip(module, reason=f"the {backend.name} registry backend needs {module}")
    return backend


@pytest.fixture(scope="module")
def template(backend, tmp_path_factory) -> Path:
    """A directory holding the backend's example location, opened once (an MLflow store's tables take seconds)."""
    root = tmp_path_factory.mktemp(f"{backend.name}-template")
    assert open_registry(backend.example(root)).versions() == []
    return root


@pytest.fixture
def location(backend, template, tmp_path) -> str:
    """A fresh, empty location of the backend in this test's own directory (a copy of the template)."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return backend.example(tmp_path)


@pytest.fixture
def registry(location) -> Registry:
    return open_registry(location)


def fitted(kind: type = LogisticRegression):
    return kind().fit(X, Y)


def flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[150] ^= 0xFF
    path.write_bytes(bytes(raw))


def tampered(registry: Registry, version: str) -> None:
    path = registry.model_path(version)
    if path is None:
        pytest.skip("the store keeps its model files elsewhere: they cannot be tampered with from here")
    flip_byte(path)


def test_the_example_location_belongs_to_the_backend(backend, tmp_path):
    example = backend.example(tmp_path)
    assert backend_for(example) is backend
    directory = backend.local_path(example)
    assert (directory is not None) == backend.directory
    if directory is not None:
        assert directory.parent == tmp_path


def test_a_new_registry_is_empty(registry):
    assert registry.production is None
    assert (registry.versions(), registry.audit(), registry.verify()) == ([], [], [])
    with pytest.raises(RegistryError, match="Promote a version"):
        registry.load()


def test_register_promote_load(registry):
    v1 = registry.register(fitted(), name="clf", metadata=META, report={"x": 1})
    assert registry.production is None  # registering never moves production
    registry.promote(v1, actor="alice", reasons=["ok"])
    v2 = registry.register(fitted(DecisionTreeClassifier), name="clf", metadata=META)
    assert registry.production == v1
    assert isinstance(registry.load(), LogisticRegression)
    assert isinstance(registry.load(v2), DecisionTreeClassifier)
    assert registry.load(v1).predict(X).tolist() == fitted().predict(X).tolist()
    infos = registry.versions()
    assert [(v.version, v.status) for v in infos] == [(v1, "production"), (v2, "registered")]
    assert infos[0].name == "clf" and infos[0].decision == "promote" and len(infos[0].sha256) == 64
    assert infos[0].metadata["gap"]["accuracy"]["gap_mean"] == pytest.approx(0.02)
    assert registry.info(v2) == infos[1]
    entry = registry.audit()[0]
    assert (entry.action, entry.version, entry.actor, entry.reasons, entry.previous) == ("promote", v1, "alice", ("ok",), None)
    assert (entry.policy_hash, entry.data_fingerprint) == ("ph1", "fp1")
    assert registry.verify() == []


def test_versions_are_listed_oldest_first_and_stay_apart(registry):
    versions = [registry.register(fitted(), name="clf", metadata={**META, "seed": str(i)}) for i in range(3)]
    assert len(set(versions)) == 3
    assert [v.version for v in registry.versions()] == versions
    registry.promote(versions[1])
    assert [v.status for v in registry.versions()] == ["registered", "production", "registered"]
    with pytest.raises(RegistryError, match="no version"):
        registry.info("999")


def test_register_refuses_bad_arguments(registry):
    with pytest.raises(RegistryError, match="non-empty name"):
        registry.register(fitted(), name=" ", metadata=META)
    with pytest.raises(RegistryError, match="metadata must be a dict"):
        registry.register(fitted(), name="clf", metadata=[("decision", "promote")])
    assert registry.versions() == []


def test_promote_and_load_refuse_a_tampered_model(registry):
    v1 = registry.register(fitted(), name="clf", metadata=META)
    registry.promote(v1)
    v2 = registry.register(fitted(), name="clf", metadata=META)
    tampered(registry, v2)
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        registry.load(v2)
    with pytest.raises(IntegrityError):
        registry.promote(v2)
    assert registry.production == v1
    assert isinstance(registry.load(), LogisticRegression)  # the untouched production still loads
    problems = registry.verify()
    assert len(problems) == 1 and f"version {v2} " in problems[0]
    tampered(registry, v1)
    with pytest.raises(IntegrityError):
        registry.load()


def test_rollback_restores_previous_and_is_audited(registry):
    with pytest.raises(RegistryError, match="no previous production version"):
        registry.rollback()
    versions = [registry.register(fitted(), name="clf", metadata=META) for _ in range(3)]
    for v in versions:
        registry.promote(v)
    assert registry.rollback(actor="bob") == versions[1] and registry.production == versions[1]
    assert registry.rollback() == versions[0]
    assert registry.rollback(to=versions[2]) == versions[2]
    rollbacks = [e for e in registry.audit() if e.action == "rollback"]
    assert [(e.previous, e.version) for e in rollbacks] == [
        (versions[2], versions[1]),
        (versions[1], versions[0]),
        (versions[0], versions[2]),
    ]
    assert rollbacks[0].actor == "bob"
    with pytest.raises(RegistryError, match="There is no version '99'"):
        registry.rollback(to="99")
    assert registry.production == versions[2]


def test_record_audits_without_switching(registry):
    v = registry.register(fitted(), name="clf", metadata=META)
    for action in ACTIONS:
        registry.record(v, action, actor="carol", reasons=[f"because {action}"])
    registry.record(None, "block", reasons=["blocked before any fit"])
    assert registry.production is None
    entries = registry.audit()
    assert [(e.action, e.version, e.actor) for e in entries] == [
        *[(action, v, "carol") for action in ACTIONS],
        ("block", None, "gapgates"),
    ]
    assert entries[0].reasons == ("because register",) and entries[0].policy_hash == "ph1"
    registry.promote(v)
    registry.record(v, "approve")
    assert registry.audit()[-1].previous == v  # an entry names the production it was written under


@pytest.mark.parametrize(
    ("version", "action", "actor", "reasons", "match"),
    [
        ("known", "promote", "ci", (), "must be one of"),  # promote and rollback have their own methods
        ("known", "rollback", "ci", (), "must be one of"),
        ("known", "delete", "ci", (), "must be one of"),
        ("known", None, "ci", (), "must be one of"),
        (3, "block", "ci", (), "must be a version id"),
        ("", "block", "ci", (), "must be a version id"),
        ("known", "block", "", (), "actor must name who acted"),
        ("known", "block", None, (), "actor must name who acted"),
        ("known", "block", "ci", "gap too large", "reasons must be a list of strings"),
        ("known", "block", "ci", [1.5], "reasons must be a list of strings"),
        ("999", "block", "ci", (), "no version"),
    ],
)
def test_record_refuses_bad_arguments(registry, version, action, actor, reasons, match):
    known = registry.register(fitted(), name="clf", metadata=META)
    with pytest.raises(RegistryError, match=match):
        registry.record(known if version == "known" else version, action, actor=actor, reasons=reasons)
    assert registry.audit() == []


def test_promote_refuses_an_unknown_version(registry):
    v = registry.register(fitted(), name="clf", metadata=META)
    registry.promote(v)
    with pytest.raises(RegistryError, match="no version"):
        registry.promote("999")
    assert registry.production == v and [e.action for e in registry.audit()] == ["promote"]


def test_promote_over_a_production_that_moved_is_refused(registry):
    v1, v2, v3 = (registry.register(fitted(), name="clf", metadata=META) for _ in range(3))
    registry.promote(v1, expected=None)  # the first candidate, compared with no production
    with pytest.raises(ProductionMoved, match=f"Production moved from none to {v1}") as err:
        registry.promote(v2, expected=None)  # compared with no production, but v1 went live meanwhile
    assert (err.value.version, err.value.expected, err.value.found) == (v2, None, v1)
    with pytest.raises(ProductionMoved, match=f"from {v3} to {v1}"):
        registry.promote(v2, expected=v3)
    assert registry.production == v1 and [e.action for e in registry.audit()] == ["promote"]  # nothing audited
    assert {v.version: v.status for v in registry.versions()}[v2] == "registered"  # refused, not orphaned
    registry.promote(v2, expected=v1)  # compared with the production it replaces
    registry.promote(v3, expected=Expected.ANY)  # a person's switch: no expectation
    assert registry.production == v3 and registry.audit()[-2].previous == v1 and registry.verify() == []


def test_switched_tells_a_promotion_that_happened_from_an_intent_that_did_not(registry, monkeypatch):
    v1, v2, v3 = (registry.register(fitted(), name="clf", metadata=META) for _ in range(3))
    registry.promote(v1)
    registry.promote(v2)
    registry.rollback()  # back to v1: v2 was production all the same
    assert (registry.switched(v1), registry.switched(v2), registry.switched(v3)) == (True, True, False)

    def killed(self, version, history):  # the promote line is written, then the process dies before the switch
        raise KeyboardInterrupt

    monkeypatch.setattr(type(registry), "_switch", killed)
    with pytest.raises(KeyboardInterrupt):
        registry.promote(v3)
    monkeypatch.undo()
    assert registry.audit()[-1].action == "promote" and registry.audit()[-1].version == v3  # the intent is audited...
    assert registry.production == v1 and not registry.switched(v3)  # ...but production never moved
    registry.promote(v2)
    assert not registry.switched(v3) and registry.switched(v2)  # the next switch's `previous` tells


def _edit_metadata(registry: Registry, version: str, backend: Backend) -> None:
    """Edit a version's recorded noise rate as a hand (or a script) would."""
    if backend.name == "directory":
        import json

        path = registry.model_path(version).parent / "metadata.json"
        meta = json.loads(path.read_text())
        meta["noise_rate"] = 0.5
        path.write_text(json.dumps(meta))
    elif backend.name == "mlflow":
        registry.client.set_model_version_tag(registry.model_name, version, "gapgates.noise_rate", "0.5")
    else:
        pytest.skip(f"no way to edit a {backend.name} version's metadata from here")


def test_an_edited_metadata_is_refused_by_verify_load_and_info(backend, registry):
    v1 = registry.register(fitted(), name="clf", metadata={**META, "noise_rate": 0.1})
    registry.promote(v1)
    assert registry.info(v1).metadata["noise_rate"] == pytest.approx(0.1) and registry.verify() == []
    _edit_metadata(registry, v1, backend)
    problems = registry.verify()
    assert problems and "not match" in problems[0] and "changed after the version was registered" in problems[0]
    for read in (registry.load, lambda: registry.info(v1), registry.versions):
        with pytest.raises(IntegrityError, match="changed after the version was registered"):
            read()


def test_the_location_opens_the_same_registry_from_anywhere(registry, location, tmp_path, monkeypatch):
    v = registry.register(fitted(), name="clf", metadata=META)
    registry.promote(v)
    assert registry.location == locate(location)
    monkeypatch.chdir(tmp_path.parent)
    reopened = open_registry(registry.location, must_exist=True, model_name="clf")
    assert reopened.production == v and reopened.location == registry.location


def test_documents_are_stored_with_a_version(registry):
    v = registry.register(fitted(), name="clf", metadata=META, documents={"report.md": "# gapgates: PROMOTE\n"})
    assert registry.document(v, "report.md") == b"# gapgates: PROMOTE\n"
    assert registry.document(v, "no-such-file.csv") is None
    for bad in ("../report.md", "", "..", "sub/report.md"):
        with pytest.raises(RegistryError, match="plain file name"):
            registry.document(v, bad)


def test_a_missing_location_with_must_exist_is_refused_and_not_created(backend, tmp_path):
    location = backend.example(tmp_path)
    with pytest.raises(RegistryError, match="--registry used by 'check'"):
        open_registry(location, must_exist=True)
    with pytest.raises(RegistryError, match="--registry used by 'check'"):
        check_location(location, must_exist=True)
    check_location(location)  # a writer may create it
    assert list(tmp_path.iterdir()) == []  # reading never creates the store


def test_an_existing_location_opens_with_must_exist(registry, location):
    v = registry.register(fitted(), name="clf", metadata=META)
    registry.promote(v)
    check_location(location, must_exist=True)
    reopened = open_registry(location, must_exist=True)
    assert reopened.production == v and [x.version for x in reopened.versions()] == [v]


def test_the_alias_option(backend, registry, location):
    if not backend.takes_alias:
        with pytest.raises(ConfigError, match="'alias' option"):
            open_registry(location, alias="nightly")
        return
    v = registry.register(fitted(), name="clf", metadata=META)
    open_registry(location, alias="nightly").promote(v)
    assert open_registry(location, alias="nightly").production == v
    assert registry.production is None  # another alias is another production pointer


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    data = write_noisy(root / "noisy.csv")
    passing, blocked = gate_run(data, root / "scratch", PERMISSIVE), gate_run(data, root / "scratch", STRICT)
    assert passing.decision.outcome is Outcome.PROMOTE and blocked.decision.outcome is Outcome.BLOCK
    return passing, blocked


def test_blocked_candidate_never_becomes_production(registry, runs):
    passing, blocked = runs
    first = enforce(passing, registry, promote=True)
    assert first.promoted and first.production == first.version
    second = enforce(blocked, registry, promote=True)
    assert not second.promoted and second.production == first.version and second.outcome == "blocked"
    with pytest.raises(PromotionBlocked, match="Promotion blocked \\(block\\)") as err:
        enforce(blocked, registry, promote=True, raise_on_block=True)
    assert err.value.decision is blocked.decision
    assert registry.production == first.version
    actions = [(e.action, e.version) for e in registry.audit()]
    assert actions[:2] == [("promote", first.version), ("block", second.version)]
    # each reason as the decision gave it (MLflow's audit keeps the first 300 characters of each, at most 10)
    kept, given = registry.audit()[1].reasons, tuple(blocked.decision.reasons)
    assert len(kept) == min(10, len(given)) and all(g == k or (len(k) == 300 and g.startswith(k)) for k, g in zip(kept, given))
    statuses = {v.version: (v.status, v.decision) for v in registry.versions()}
    assert statuses[second.version] == ("registered", "block")
