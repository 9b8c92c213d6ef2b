"""The stakeholder digest over a real history and a real directory registry: what it says, where each fact comes
from, the files and the CLI's exit codes (the page in a browser: tests/e2e/test_digest.py)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from gapgates.errors import ConfigError
from gapgates.report.digest import build_digest, write_digest
from gapgates.report.schema import validate_digest
from tests.helpers import LONG_MODEL, digest_world, invoke, run_record


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return digest_world(tmp_path_factory.mktemp("digest"))


@pytest.fixture(scope="module")
def document(world):
    history, registry = world
    return build_digest(history, registries=[registry])


def _model(document, name):
    (model,) = [m for m in document["models"] if m["name"] == name]
    return model


def test_each_model_gets_production_decisions_trend_monitoring_and_open_approvals(world, document):
    from gapgates.registry import LocalRegistry

    validate_digest(document)
    assert [m["name"] for m in document["models"]] == ["churn", "fraud", LONG_MODEL]
    fraud = _model(document, "fraud")
    promoted = [e for e in LocalRegistry(world[1]).audit() if e.action == "promote"]
    assert fraud["production"] == {"version": "v4", "since": promoted[-1].time, "registry": str(world[1])}
    assert [(d["kind"], d["decision"]) for d in fraud["last_decisions"]] == [
        ("monitor", "retrain"),
        ("monitor", "ok"),
        ("gate", "promote"),
        ("gate", "needs_approval"),
        ("gate", "block"),
    ]
    block = fraud["last_decisions"][-1]
    assert block["version"] == "v2" and block["reasons_source"] == "registry"
    assert block["reasons"] == ["gap:accuracy upper bound 0.1 > limit 0.05"]
    assert [t["gap"] for t in fraud["trend"]] == [0.02, 0.09, 0.05, 0.03]  # gate runs only: no production gap
    assert fraud["gap_limit"] == 0.05  # the shipped policy's max_gap
    assert fraud["production_gap"]["decision"] == "retrain" and fraud["production_gap"]["version"] == "v4"
    assert fraud["production_gap"]["gaps"]["accuracy"] == pytest.approx({"gap": 0.08, "ci_low": 0.07, "ci_high": 0.09})
    assert [(a["version"], a["reasons"]) for a in fraud["open_approvals"]] == [("v3", ["gap:accuracy straddles 0.05"])]
    churn, long = _model(document, "churn"), _model(document, LONG_MODEL)
    assert churn["production"] is None and churn["open_approvals"] == []
    assert all(d["reasons_source"] is None for d in churn["last_decisions"])
    assert long["open_approvals"] == [] and long["last_decisions"][0]["approval"]["actor"] == "alice"
    assert long["production_gap"] is None
    assert document["summary"] == {
        "models": 3,
        "gate_runs": 10,
        "monitor_runs": 3,
        "estimate_runs": 0,
        "open_approvals": 1,
        "blocked": [],
        "retrain": ["fraud"],
    }
    assert any("do not record a decision's reasons" in note for note in document["notes"])


def test_an_answer_in_the_audit_log_closes_an_approval_and_another_runs_version_is_not_taken(tmp_path, world):
    from gapgates.history import History
    from gapgates.registry import LocalRegistry

    history, registry = (shutil.copy(world[0], tmp_path / "h.sqlite"), shutil.copytree(world[1], tmp_path / "registry"))
    LocalRegistry(registry).record("v3", "approve", actor="bob", reasons=["seen the folds"])
    History(history).add(run_record("fraud", 0.04, time="2026-04-01T00:00:00+00:00", version="v2", decision="block"))
    fraud = _model(build_digest(history, registries=[registry]), "fraud")
    assert fraud["open_approvals"] == []
    answered = next(d for d in fraud["last_decisions"] if d["version"] == "v3")
    assert answered["reasons"] == ["gap:accuracy straddles 0.05", "approve by bob: seen the folds"]
    assert fraud["last_decisions"][0]["reasons_source"] is None  # 'v2' of another time: not this run's version


def test_the_policy_limits_are_drawn_and_the_files_render_from_the_json(tmp_path, world):
    policy = tmp_path / "policy.toml"
    policy.write_text("[gap]\nmax_gap = 0.04\n\n[monitor]\nmax_production_gap = 0.07\nmax_estimated_gap = 0.06\n")
    doc = build_digest(world[0], registries=[world[1]], policy=policy)
    assert doc["policy"] == {"path": str(policy), "gap_limit": 0.04, "production_gap_limit": 0.07, "estimated_gap_limit": 0.06}
    paths = write_digest(doc, tmp_path / "out")
    assert json.loads(paths["json"].read_text()) == doc
    page = paths["html"].read_text()
    assert len(re.findall(r"<svg\b", page)) == 3  # one trend chart per model
    for name in ("fraud", "churn", LONG_MODEL):
        assert f'aria-label="Gap trend of {name}:' in page
    assert "limit 0.04" in page and not re.search(r"<(script|link|img)\b|\ssrc=", page)  # self-contained
    markdown = paths["markdown"].read_text()
    assert "## fraud" in markdown and "Production: v4 since" in markdown
    assert "gap:accuracy upper bound 0.1 > limit 0.05" in markdown and "diagnosis: noise" in markdown


def test_cli_writes_the_digest_and_refuses_bad_input_in_one_line(tmp_path, world):
    history, registry = world
    result = invoke("digest", "--history", history, "--registry", registry, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# gapgates digest: 3 models, 10 gate runs, 3 monitor runs")
    assert "- **fraud**: production v4 since" in result.output and f"{tmp_path / 'out' / 'digest.html'}" in result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"digest.json", "digest.md", "digest.html"}
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_text("not a database")
    (tmp_path / "a-file").write_text("x")
    cases = {
        ("--history", tmp_path / "none.sqlite", "--out", tmp_path / "o"): "No run history at",
        ("--history", foreign, "--out", tmp_path / "o"): "is not a gapgates history",
        ("--history", history, "--out", tmp_path / "a-file"): "is a file, not a directory",
        ("--history", history, "--out", tmp_path / "o", "--registry", "mlflow:sqlite:///x.db"): "directory registries",
        ("--history", history, "--out", tmp_path / "o", "--registry", registry, "--registry", registry): "Two registries",
        ("--history", history, "--out", tmp_path / "o", "--registry", tmp_path / "nowhere"): "does not exist",
    }
    for args, message in cases.items():
        result = invoke("digest", *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output, (args, result.output)
    assert not (tmp_path / "o").exists()  # nothing written on bad input
    (tmp_path / "empty.sqlite").touch()  # an empty history: a digest of no model
    result = invoke("digest", "--history", tmp_path / "empty.sqlite", "--out", tmp_path / "o")
    assert result.exit_code == 0 and "0 models" in result.output and "(no runs recorded" in result.output


def test_a_document_off_the_schema_is_not_written(tmp_path, document):
    broken = {**document, "summary": {**document["summary"], "models": -1}}
    with pytest.raises(ConfigError, match=r"digest\.json does not match the digest schema at 'summary/models'"):
        write_digest(broken, tmp_path / "out")
    assert not (tmp_path / "out" / "digest.json").exists()


def test_real_gate_runs_give_the_digest_its_production_and_reasons(tmp_path):
    """Two real ``gapgates check --registry --promote`` runs (pass, then a strict policy's block): the digest reads
    production from the registry and each run's reasons from the version it registered, as its report states them."""
    from gapgates.registry import LocalRegistry
    from tests.helpers import write_noisy

    data = write_noisy(tmp_path / "noisy.csv")
    (tmp_path / "pass.toml").write_text("[gap]\nmax_gap = 0.9\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n")
    (tmp_path / "strict.toml").write_text(
        '[gap]\nmode = "absolute"\nmax_gap = 0.0001\n[noise]\nmax_rate = 1.0\nmax_confident_error_ratio = 100\n'
    )
    reg = tmp_path / "reg"
    common = [
        "check",
        "--data",
        data,
        "--target",
        "label",
        "--model",
        "sklearn.linear_model.LogisticRegression",
        "--folds",
        "3",
        "--registry",
        reg,
        "--promote",
        "--name",
        "real",
    ]
    assert invoke(*common, "--policy", tmp_path / "pass.toml", "--out", tmp_path / "o1").exit_code == 0
    assert invoke(*common, "--policy", tmp_path / "strict.toml", "--out", tmp_path / "o2").exit_code == 1
    blocked = json.loads((tmp_path / "o2" / "report.json").read_text())
    (model,) = build_digest(reg / "history.sqlite", registries=[reg], policy=tmp_path / "strict.toml")["models"]
    promote = next(e for e in LocalRegistry(reg).audit() if e.action == "promote")
    assert model["name"] == "real" and model["production"]["version"] == "v1"
    assert model["production"]["since"] == promote.time
    latest, first = model["last_decisions"]
    assert (latest["decision"], latest["version"], latest["reasons_source"]) == ("block", "v2", "registry")
    assert latest["reasons"] == blocked["reasons"] and any("gap" in r for r in latest["reasons"])
    assert (first["decision"], first["reasons"], first["reasons_source"]) == ("promote", [], "registry")
    assert [t["gap"] for t in model["trend"]] == [latest["gap"], first["gap"]][::-1] and model["gap_limit"] == 0.0001


def test_the_latest_gate_decision_counts_however_many_monitor_runs_follow_it(tmp_path):
    from gapgates.history import History

    history = History(tmp_path / "h.sqlite")
    history.add(run_record("churn", 0.01, decision="promote"))
    history.add(run_record("churn", 0.09, decision="block"))
    for _ in range(6):
        history.add(run_record("churn", 0.0, decision="ok", kind="monitor"))
    document = build_digest(history.path)
    (churn,) = document["models"]
    assert all(d["kind"] == "monitor" for d in churn["last_decisions"]) and document["summary"]["blocked"] == ["churn"]
    page = write_digest(document, tmp_path / "out")["html"].read_text()
    assert page.count('id="model-churn-1"') == 1 and "BLOCK" in page.split('id="models-table"')[1].split("</table>")[0]


def test_a_retrain_advice_is_stale_once_a_later_version_is_promoted(tmp_path, world):
    from sklearn.linear_model import LogisticRegression

    from gapgates.history import History
    from gapgates.registry import LocalRegistry

    history, registry = tmp_path / "h.sqlite", tmp_path / "registry"
    shutil.copy(world[0], history)
    shutil.copytree(world[1], registry)
    before = _model(build_digest(history, registries=[registry]), "fraud")["production_gap"]
    assert before["stale"] is False  # v4, the version it measured, is production
    reg = LocalRegistry(registry)  # the automated retrain promotes v5 after the monitor's retrain on v4
    model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]], [0, 1, 0, 1])
    version = reg.register(model, name="fraud", metadata={"decision": "promote", "run_created": "2026-04-01"})
    reg.promote(version)
    History(history).add(run_record("fraud", 0.02, decision="promote", version=version, time="2026-04-01"))
    document = build_digest(history, registries=[registry])
    validate_digest(document)
    after = _model(document, "fraud")["production_gap"]
    assert after["version"] == "v4" and after["stale"] is True
    assert document["summary"]["retrain"] == []  # answered by the retrain: no longer advised
    page = write_digest(document, tmp_path / "out")["markdown"].read_text()
    assert "retrain of v4" in page and "that version is no longer production" in page


def test_names_and_reasons_written_by_others_cannot_add_links_or_html_to_the_markdown(tmp_path):
    from gapgates.history import History

    history = History(tmp_path / "h.sqlite")
    name = "evil [click](http://127.0.0.1:9/x) <img src=x> **loud**"
    history.add(run_record(name, 0.09, decision="block", diagnosis="overfit | [x](y)"))
    document = build_digest(history.path)
    paths = write_digest(document, tmp_path / "out")
    markdown = paths["markdown"].read_text()
    assert not re.search(r"(?<!\\)\[click|(?<!\\)<img|(?<!\\)\*\*loud", markdown)  # nothing unescaped
    assert r"evil \[click\](http://127.0.0.1:9/x) \<img src=x> \*\*loud\*\*" in markdown
    assert r"overfit \| \[x\](y)" in markdown  # in a table cell: one escaped pipe, no link
    page = paths["html"].read_text()
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page  # the page is autoescaped


def test_a_run_a_kill_left_pending_counts_only_as_its_registry_says_and_skipped_lines_are_named(tmp_path, world):
    from sklearn.linear_model import LogisticRegression

    from gapgates.history import History
    from gapgates.registry import LocalRegistry
    from gapgates.report.digest import render_digest_markdown

    history, registry = tmp_path / "h.sqlite", tmp_path / "registry"
    shutil.copy(world[0], history)
    shutil.copytree(world[1], registry)
    reg = LocalRegistry(registry)
    v5 = reg.register(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="fraud", metadata={"decision": "promote"})
    store = History(history)
    for day, version in ((4, "v4"), (5, v5)):  # recorded before their switch, never settled: v4 went live, v5 never did
        time = f"2026-04-0{day}T03:00:00+00:00"
        store.add(run_record("fraud", 0.02, time=time, version=version, outcome="pending", registry=reg.location))
    with (registry / "audit.jsonl").open("ab") as fh:
        fh.write(b"not json\n")
    document = build_digest(history, registries=[registry])
    validate_digest(document)
    fraud = _model(document, "fraud")
    outcomes = {d["version"]: d["outcome"] for d in reversed(fraud["last_decisions"]) if d["kind"] == "gate"}  # newest wins
    assert outcomes["v4"] == "promoted" and outcomes[v5] == "unfinished" and fraud["production"]["version"] == "v4"
    assert "not promoted: the run ended before production moved" in render_digest_markdown(document)
    assert len(document["skipped"]) == 1 and "audit log line" in document["skipped"][0]
    result = invoke("digest", "--history", history, "--registry", registry, "--out", tmp_path / "d")
    assert result.exit_code == 0 and result.stderr.startswith("gapgates: note: skipped 1 unreadable line(s)")
    (registry / "production.json").write_text('{"version": "v9", "history": []}')
    refused = invoke("digest", "--history", history, "--registry", registry, "--out", tmp_path / "d2")
    assert refused.exit_code == 2 and "names v9, which is not a version of the registry" in refused.stderr
