"""``gapgates check --registry --promote`` and ``gapgates registry verify|show`` as real subprocesses."""

from __future__ import annotations

import json

from tests.helpers import invoke, two_promoted, write_noisy


def test_check_registers_and_promotes_only_on_promote(tmp_path, run_cli):
    data = write_noisy(tmp_path / "noisy.csv")
    (tmp_path / "pass.toml").write_text(
        "[gap]\nmax_gap = 0.9\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n[champion]\nmax_regression = 0.5\n"
    )
    (tmp_path / "fail.toml").write_text('[gap]\nmode = "absolute"\nmax_gap = 0.0001\n')
    reg = str(tmp_path / "reg")
    common = [
        "check",
        "--data",
        str(data),
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--folds",
        "3",
        "--registry",
        reg,
    ]

    first = run_cli(*common, "--promote", "--policy", str(tmp_path / "pass.toml"), "--out", str(tmp_path / "o1"))
    assert first.returncode == 0, first.stderr
    report = json.loads((tmp_path / "o1" / "report.json").read_text())
    section = report["registry"]
    assert (section["version"], section["promoted"], section["production"], section["outcome"]) == ("v1", True, "v1", "promoted")
    assert {c["name"]: c["status"] for c in report["checks"]}["champion_regression"] == "skipped"
    assert "registry: Registered as v1; promoted to production. Production: v1." in first.stdout

    blocked = run_cli(*common, "--promote", "--policy", str(tmp_path / "fail.toml"), "--out", str(tmp_path / "o2"))
    assert blocked.returncode == 1, blocked.stderr
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    section = report["registry"]
    assert (section["version"], section["promoted"], section["production"], section["previous"]) == ("v2", False, "v1", "v1")
    assert section["outcome"] == "blocked"
    assert report["champion"]["version"] == "v1" and len(report["champion"]["test"]) == 3

    unpromoted = run_cli(*common, "--policy", str(tmp_path / "pass.toml"), "--out", str(tmp_path / "o3"))
    assert unpromoted.returncode == 0, unpromoted.stderr
    assert json.loads((tmp_path / "o3" / "report.json").read_text())["registry"]["promoted"] is False

    shown = run_cli("registry", "show", "--registry", reg, "--json")
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert payload["production"] == "v1"
    assert [(v["version"], v["status"], v["decision"]) for v in payload["versions"]] == [
        ("v1", "production", "promote"),
        ("v2", "registered", "block"),
        ("v3", "registered", "promote"),
    ]
    assert [e["action"] for e in payload["audit"]] == ["promote", "block", "register"]


def test_verify_reports_a_flipped_byte_with_exit_2(tmp_path, run_cli):
    reg = two_promoted(tmp_path / "reg")
    ok = invoke("registry", "verify", "--registry", str(tmp_path / "reg"))
    assert ok.exit_code == 0 and "every checksum matches" in ok.output
    path = reg.model_path("v1")
    raw = bytearray(path.read_bytes())
    raw[300] ^= 0x01
    path.write_bytes(bytes(raw))
    bad = run_cli("registry", "verify", "--registry", str(tmp_path / "reg"))
    assert bad.returncode == 2
    assert "version v1 does not match its recorded sha256" in bad.stdout
    assert len(bad.stderr.strip().splitlines()) == 1 and bad.stderr.startswith("gapgates: error: 1 problem(s)")
    assert "Traceback" not in bad.stderr
    show = run_cli("registry", "show", "--registry", str(tmp_path / "reg"), "--json")
    assert show.returncode == 0 and json.loads(show.stdout)["production"] == "v2"
