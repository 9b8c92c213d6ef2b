"""``gapgates check --registry [--promote]`` and ``gapgates registry list|show|rollback|verify``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from gapgates.cli.main import cli
from gapgates.registry import LocalRegistry
from tests.helpers import invoke, two_promoted, write_noisy


def test_list_and_show(tmp_path):
    two_promoted(tmp_path / "reg")
    listed = invoke("registry", "list", "--registry", str(tmp_path / "reg"))
    assert listed.exit_code == 0 and "production: v2" in listed.output and "* v2" in listed.output
    as_json = json.loads(invoke("registry", "list", "--registry", str(tmp_path / "reg"), "--json").output)
    assert as_json["production"] == "v2" and len(as_json["versions"]) == 2
    one = json.loads(invoke("registry", "show", "v1", "--registry", str(tmp_path / "reg"), "--json").output)
    assert one["version"]["version"] == "v1" and one["production"] == "v2"
    text = invoke("registry", "show", "--registry", str(tmp_path / "reg"))
    assert text.exit_code == 0 and "audit:" in text.output and text.output.count("promote") >= 2


def test_show_marks_a_promotion_audited_by_a_process_killed_before_its_switch(tmp_path, monkeypatch):
    two_promoted(tmp_path / "reg")
    reg = LocalRegistry(tmp_path / "reg")
    v3 = reg.register(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="clf", metadata={})

    def killed(self, version, history):
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalRegistry, "_switch", killed)
    with pytest.raises(KeyboardInterrupt):
        reg.promote(v3)
    monkeypatch.undo()
    payload = json.loads(invoke("registry", "show", "--registry", str(tmp_path / "reg"), "--json").output)
    assert [(e["action"], e["version"], e.get("switched")) for e in payload["audit"]] == [
        ("promote", "v1", True),
        ("promote", "v2", True),
        ("promote", v3, False),
    ]
    text = invoke("registry", "show", "--registry", str(tmp_path / "reg")).output
    assert f"promote (not switched)  {v3}" in text and text.count("(not switched)") == 1


def test_empty_registry_shows_null_production(tmp_path):
    (tmp_path / "reg").mkdir()
    out = invoke("registry", "show", "--registry", str(tmp_path / "reg"), "--json")
    assert out.exit_code == 0 and json.loads(out.output)["production"] is None


def test_rollback_restores_previous_and_is_audited(tmp_path):
    reg = two_promoted(tmp_path / "reg")
    out = invoke("registry", "rollback", "--registry", str(tmp_path / "reg"), "--actor", "oncall", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"previous": "v2", "production": "v1"}
    last = reg.audit()[-1]
    assert (last.action, last.version, last.previous, last.actor) == ("rollback", "v1", "v2", "oncall")
    again = invoke("registry", "rollback", "--registry", str(tmp_path / "reg"))
    assert again.exit_code == 2 and "no previous production version" in again.output
    to = invoke("registry", "rollback", "--to", "v2", "--registry", str(tmp_path / "reg"))
    assert to.exit_code == 0 and "v1 -> v2" in to.output and reg.production == "v2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("registry", "show", "--registry", "{missing}"), "does not exist"),
        (("registry", "show", "v9", "--registry", "{reg}"), "There is no version 'v9'"),
        (("registry", "rollback", "--to", "v9", "--registry", "{reg}"), "There is no version 'v9'"),
        (("registry", "verify", "--registry", "{missing}"), "does not exist"),
    ],
)
def test_errors_are_one_line_exit_2(tmp_path, args, message):
    two_promoted(tmp_path / "reg")
    filled = [a.format(reg=tmp_path / "reg", missing=tmp_path / "nope") for a in args]
    out = CliRunner().invoke(cli, filled)
    assert out.exit_code == 2 and message in out.output
    assert out.output.startswith("gapgates: error:") and len(out.output.strip().splitlines()) == 1


def test_data_blocked_by_quality_audits_a_block_and_keeps_production(tmp_path):
    import pandas as pd

    data = write_noisy(tmp_path / "noisy.csv")
    (tmp_path / "pass.toml").write_text("[gap]\nmax_gap = 0.9\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n")
    reg = tmp_path / "reg"
    common = [
        "check",
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--folds",
        "3",
        "--registry",
        str(reg),
        "--policy",
        str(tmp_path / "pass.toml"),
    ]
    first = invoke(*common, "--data", str(data), "--promote", "--out", str(tmp_path / "o1"))
    assert first.exit_code == 0, first.output
    broken = pd.read_csv(data)
    broken.loc[:5, "label"] = None
    broken.to_csv(tmp_path / "broken.csv", index=False)
    blocked = invoke(*common, "--data", str(tmp_path / "broken.csv"), "--promote", "--out", str(tmp_path / "o2"))
    assert blocked.exit_code == 1, blocked.output
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    section = report["registry"]
    assert (section["version"], section["promoted"], section["production"], section["previous"]) == (None, False, "v1", "v1")
    assert section["outcome"] == "blocked"
    audit = LocalRegistry(reg).audit()
    assert [e.action for e in audit] == ["promote", "block"]
    assert LocalRegistry(reg).production == "v1"
