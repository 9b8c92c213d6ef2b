"""LocalRegistry: versions, checksums, the atomic alias, the audit log (crashes and concurrency: tests/e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from gapgates.errors import IntegrityError, RegistryError
from gapgates.registry import ACTIONS, LocalRegistry, open_registry
from gapgates.registry import local as local_module

UNTRUSTED = "{module}.Untrusted"
X, Y = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1]
META = {"decision": "promote", "policy_hash": "ph1", "data_fingerprint": "fp1"}


def fitted(kind: type = LogisticRegression):
    return kind().fit(X, Y)


def flip_byte(path: Path, offset: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_register_is_not_production_and_records_metadata(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v = reg.register(fitted(), name="clf", metadata=META, report={"decision": "promote"})
    assert v == "v1" and reg.production is None
    info = reg.info(v)
    assert info.status == "registered" and info.decision == "promote" and len(info.sha256) == 64
    assert info.metadata["policy_hash"] == "ph1" and info.metadata["created"]
    folder = tmp_path / "reg" / "versions" / "v1"
    assert json.loads((folder / "report.json").read_text()) == {"decision": "promote"}
    assert (folder / "model.skops").read_bytes()[:2] == b"PK"  # a skops zip, not a pickle


def test_promote_load_roundtrip_and_versions(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v1, actor="alice", reasons=["all good"])
    v2 = reg.register(fitted(DecisionTreeClassifier), name="clf", metadata=META)
    assert reg.production == v1
    assert isinstance(reg.load(), LogisticRegression)
    assert isinstance(reg.load(v2), DecisionTreeClassifier)  # needs the explicitly trusted Tree type
    assert [(v.version, v.status) for v in reg.versions()] == [("v1", "production"), ("v2", "registered")]
    entry = reg.audit()[0]
    assert (entry.action, entry.version, entry.actor, entry.reasons) == ("promote", "v1", "alice", ("all good",))
    assert (entry.policy_hash, entry.data_fingerprint, entry.previous) == ("ph1", "fp1", None)
    assert reg.verify() == []


def test_flipped_byte_is_refused_and_reported(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v)
    flip_byte(tmp_path / "reg" / "versions" / v / "model.skops")
    with pytest.raises(IntegrityError, match=r"does not match its recorded sha256"):
        reg.load()
    problems = reg.verify()
    assert len(problems) == 1 and "v1" in problems[0]
    v2 = reg.register(fitted(), name="clf", metadata=META)
    flip_byte(tmp_path / "reg" / "versions" / v2 / "model.skops")
    with pytest.raises(IntegrityError):
        reg.promote(v2)
    assert reg.production == v


def test_rollback_restores_previous_and_is_audited(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    with pytest.raises(RegistryError, match="no previous production version"):
        reg.rollback()
    v1, v2, v3 = (reg.register(fitted(), name="clf", metadata=META) for _ in range(3))
    for v in (v1, v2, v3):
        reg.promote(v)
    assert reg.rollback(actor="bob") == v2 and reg.production == v2
    assert reg.rollback() == v1 and reg.production == v1
    with pytest.raises(RegistryError, match="no previous production version"):
        reg.rollback()
    assert reg.rollback(to=v3) == v3
    assert reg.rollback() == v1  # back from an explicit jump
    rollbacks = [e for e in reg.audit() if e.action == "rollback"]
    assert [(e.previous, e.version) for e in rollbacks] == [(v3, v2), (v2, v1), (v1, v3), (v3, v1)]
    assert rollbacks[0].actor == "bob"
    with pytest.raises(RegistryError, match="There is no version 'v9'"):
        reg.rollback(to="v9")


def test_record_audits_without_switching(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v = reg.register(fitted(), name="clf", metadata=META)
    for action in ACTIONS:
        reg.record(v, action, actor="ci", reasons=["because"])
    assert reg.production is None
    assert [e.action for e in reg.audit()] == list(ACTIONS)
    with pytest.raises(RegistryError, match="must be one of"):
        reg.record(v, "promote")
    with pytest.raises(RegistryError, match="There is no version 'v7'"):
        reg.record("v7", "block")


def test_audit_log_is_only_appended(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v1)
    before = (tmp_path / "reg" / "audit.jsonl").read_bytes()
    v2 = reg.register(fitted(), name="clf", metadata=META)
    reg.record(v2, "block", reasons=["gap too large"])
    reg.promote(v2)
    reg.rollback()
    after = (tmp_path / "reg" / "audit.jsonl").read_bytes()
    assert after.startswith(before) and len(after.splitlines()) == 4


def test_failed_switch_leaves_production_and_marks_orphan(tmp_path, monkeypatch):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v1)
    v2 = reg.register(fitted(), name="clf", metadata=META)

    def broken_switch(self, version, history):
        raise OSError("disk full")

    monkeypatch.setattr(LocalRegistry, "_switch", broken_switch)
    with pytest.raises(OSError, match="disk full"):
        reg.promote(v2)
    monkeypatch.undo()
    assert reg.production == v1
    assert reg.info(v2).status == "orphan"
    assert "promotion failed" in (tmp_path / "reg" / "versions" / v2 / "ORPHAN").read_text()
    with pytest.raises(RegistryError, match="is an orphan"):
        reg.promote(v2)
    assert reg.production == v1 and isinstance(reg.load(), LogisticRegression)


def test_failed_registration_marks_orphan(tmp_path, monkeypatch):
    reg = LocalRegistry(tmp_path / "reg")

    def broken_write(path, payload):
        raise OSError("no space left")

    monkeypatch.setattr(local_module, "write_json", broken_write)
    with pytest.raises(RegistryError, match="could not be written: no space left"):
        reg.register(fitted(), name="clf", metadata=META)
    monkeypatch.undo()
    assert [(v.version, v.status) for v in reg.versions()] == [("v1", "orphan")]
    with pytest.raises(RegistryError, match="is an orphan"):
        reg.promote("v1")
    assert reg.register(fitted(), name="clf", metadata=META) == "v2"


class Untrusted(LogisticRegression):
    """A class skops does not know: it must not be loadable by accident."""


def test_untrusted_types_are_refused(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    name = UNTRUSTED.format(module=Untrusted.__module__)
    with pytest.raises(RegistryError, match=f"types gapgates does not trust: {name}"):
        reg.register(Untrusted().fit(X, Y), name="clf", metadata=META)
    trusting = LocalRegistry(tmp_path / "reg", trusted=[name])
    v = trusting.register(Untrusted().fit(X, Y), name="clf", metadata=META)
    assert isinstance(trusting.load(v), Untrusted)
    with pytest.raises(RegistryError, match="untrusted types"):
        reg.load(v)


def test_bad_inputs(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RegistryError, match="is a file"):
        LocalRegistry(tmp_path / "file")
    reg = open_registry(tmp_path / "reg")
    with pytest.raises(RegistryError, match="no production model yet"):
        reg.load()
    with pytest.raises(RegistryError, match="non-empty name"):
        reg.register(fitted(), name=" ", metadata={})
    with pytest.raises(RegistryError, match="metadata must be a dict"):
        reg.register(fitted(), name="clf", metadata=[])
    with pytest.raises(RegistryError, match=r"does not trust: .*<lambda>"):
        reg.register(lambda x: x, name="clf", metadata={})
    assert reg.versions() == []  # refused before any version was allocated
    with pytest.raises(RegistryError, match=r"There is no version '\.\./x'"):
        reg.promote("../x")


def test_lock_timeout_is_one_clear_error(tmp_path):
    from filelock import FileLock

    reg = LocalRegistry(tmp_path / "reg", lock_timeout=0.2)
    v = reg.register(fitted(), name="clf", metadata=META)
    with FileLock(tmp_path / "reg" / ".lock"), pytest.raises(RegistryError, match="held the lock of the registry"):
        reg.promote(v)
    assert reg.production is None


def test_an_untrusted_type_names_the_fix_the_cli_can_use(tmp_path):
    name = UNTRUSTED.format(module=Untrusted.__module__)
    with pytest.raises(RegistryError) as err:
        LocalRegistry(tmp_path / "reg").register(Untrusted().fit(X, Y), name="clf", metadata=META)
    assert "Run without --registry" in str(err.value) and f"trusted=['{name}']" in str(err.value)


def test_a_class_from_a_model_file_is_refused_with_a_fix_that_can_work(tmp_path):
    """A class given as --model path.py:NAME lives in a generated module: trusting that name (what the message used to
    suggest) could never load it back, so the message says to move the class into an importable module."""
    from gapgates.data.model import resolve_model

    source = tmp_path / "models.py"
    source.write_text("from sklearn.linear_model import LogisticRegression\n\nclass Mine(LogisticRegression):\n    pass\n")
    model = resolve_model(f"{source}:Mine")
    with pytest.raises(RegistryError) as err:
        LocalRegistry(tmp_path / "reg").register(model.fit(X, Y), name="clf", metadata=META)
    message = str(err.value)
    assert "(Mine)" in message and "--model package.module.NAME" in message and "trusted=" not in message


def test_production_naming_no_version_is_refused_by_every_reader(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v1)
    (tmp_path / "reg" / "production.json").write_text('{"version": "v9", "history": []}')
    with pytest.raises(RegistryError, match=r"names v9, which is not a version of the registry \(versions: v1\)"):
        open_registry(tmp_path / "reg", must_exist=True)
    assert "names v9" in reg.verify()[0]
    (tmp_path / "reg" / "versions" / "v1" / "metadata.json").unlink()  # v1 incomplete: production names an orphan
    (tmp_path / "reg" / "production.json").write_text('{"version": "v1", "history": []}')
    with pytest.raises(RegistryError, match="names v1, which is incomplete"):
        reg.check()
    (tmp_path / "reg" / "production.json").unlink()  # the fix the message names: production none, then a rollback
    reg.check()


def test_metadata_carries_its_own_checksum_and_an_edit_is_refused(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata={**META, "noise_rate": 0.1, "gap": {"accuracy": {"test_mean": 0.8}}})
    path = tmp_path / "reg" / "versions" / v1 / "metadata.json"
    meta = json.loads(path.read_text())
    assert len(meta["metadata_sha256"]) == 64
    for key, value in (("noise_rate", 0.3), ("gap", {"accuracy": {"test_mean": 0.5}}), ("metadata_sha256", "0" * 64)):
        path.write_text(json.dumps({**meta, key: value}))
        with pytest.raises(IntegrityError, match="changed after the version was registered"):
            reg.info(v1)
        with pytest.raises(IntegrityError):
            reg.load(v1)
        assert "metadata of version v1" in reg.verify()[0]
    path.write_text(json.dumps(meta, indent=4))  # the same content, written another way: still the same metadata
    assert reg.info(v1).metadata["noise_rate"] == 0.1 and reg.verify() == []
    legacy = {k: v for k, v in meta.items() if k != "metadata_sha256"}  # a version registered before the checksum
    path.write_text(json.dumps(legacy))
    assert reg.info(v1).metadata["noise_rate"] == 0.1 and reg.verify() == []


def test_audit_problems_name_the_lines_audit_leaves_out(tmp_path):
    reg = LocalRegistry(tmp_path / "reg")
    v1 = reg.register(fitted(), name="clf", metadata=META)
    reg.promote(v1)
    with (tmp_path / "reg" / "audit.jsonl").open("ab") as fh:
        fh.write(b"\xff\xfe{\n[1, 2]\n")
    assert [e.action for e in reg.audit()] == ["promote"]
    problems = reg.audit_problems()
    assert len(problems) == 2 and problems[0].startswith("audit log line 2 is unreadable")
    assert "a JSON list, not an object" in problems[1] and reg.verify() == problems


def test_switched_to_reads_the_next_switch_or_production():
    from gapgates.registry.base import AuditEntry, switched_to

    intent = AuditEntry("t1", "v2", "promote", previous="v1")  # written, then the process died before the switch
    later = AuditEntry("t2", "v3", "promote", previous="v1")  # the next promoter found v1 in production
    assert not switched_to([intent, later], "v3", "v2")
    done = AuditEntry("t2", "v3", "promote", previous="v2")
    assert switched_to([intent, done], "v3", "v2")
    assert switched_to([intent], "v2", "v2") and not switched_to([intent], "v1", "v2")
    assert not switched_to([AuditEntry("t1", "v2", "block")], "v2", "v2")  # only a promotion switches


def test_took_effect_marks_each_switch_line_and_no_other():
    from gapgates.registry.base import AuditEntry, took_effect

    lines = [
        AuditEntry("t0", "v1", "promote"),
        AuditEntry("t1", "v1", "approve"),
        AuditEntry("t2", "v2", "promote", previous="v1"),  # its process died before the switch
        AuditEntry("t3", "v3", "promote", previous="v1"),
        AuditEntry("t4", "v1", "rollback", previous="v3"),
    ]
    assert took_effect(lines, "v1") == [True, None, False, True, True]
    assert took_effect(lines, "v3")[-1] is False and took_effect([], None) == []
