"""How ``benchmarks/bench_decisions.py`` counts its rates: the cases each rate takes, and what it counts as a hit."""

from __future__ import annotations

from benchmarks.bench_decisions import CaseResult, rates


def _case(table: str, model: str, seed: int, outcome: str, diagnosis: str, test: float) -> CaseResult:
    return CaseResult(table, "classification", model, "healthy", seed, outcome=outcome, diagnosis=diagnosis, test_mean=test)


def _rate(results: list[CaseResult], start: str) -> tuple[int, int]:
    found = [r for r in rates(results) if r.name.startswith(start)]
    assert len(found) == 1, start
    return found[0].hits, found[0].total


def test_a_table_with_a_label_issue_counts_apart_from_the_clean_tables() -> None:
    """seattle_weather's labelling convention changes within the table: its noise blocks are right, so they count
    in neither the clean tables blocked as noise nor the best-in-class blocks, and are reported apart."""
    results = [
        _case("iris", "forest", 0, "promote", "benign_gap", 0.95),
        _case("iris", "linear", 0, "block", "noise", 0.96),
        _case("seattle_weather", "forest", 0, "block", "noise", 0.63),
        _case("seattle_weather", "hgb", 0, "block", "noise", 0.60),
        _case("seattle_weather", "linear", 0, "promote", "healthy", 0.55),
    ]
    assert _rate(results, "clean tables (healthy runs, classification): blocked as noise") == (1, 2)
    assert _rate(results, "healthy best-in-class runs blocked") == (1, 2)
    assert _rate(results, "tables with a label issue of their own, healthy runs") == (2, 3)


def test_planted_overfit_on_a_table_with_a_label_issue_counts_apart():
    results = [
        _case("iris", "linear", 0, "promote", "healthy", 0.96),
        _case("seattle_weather", "linear", 0, "promote", "healthy", 0.63),
        *(
            CaseResult(t, "classification", "tree", "overfit", 0, outcome="block", diagnosis=d, test_mean=0.5)
            for t, d in (("iris", "overfit"), ("iris", "noise"), ("seattle_weather", "noise"))
        ),
    ]
    assert _rate(results, "planted overfit >= 0.02 below the best healthy: blocked as overfit") == (1, 2)
    assert _rate(results, "tables with a label issue of their own, planted overfit") == (1, 1)


def test_decisions_differing_across_seeds_count_per_table_and_model() -> None:
    results = [
        _case("iris", "forest", 0, "promote", "benign_gap", 0.95),
        _case("iris", "forest", 1, "block", "overfit", 0.94),
        _case("iris", "linear", 0, "promote", "healthy", 0.96),
        _case("iris", "linear", 1, "promote", "benign_gap", 0.96),
    ]
    assert _rate(results, "table x model pairs whose decision differs") == (1, 2)


def test_rates_of_counts_a_stored_run_again_and_keeps_its_cases(tmp_path):
    """``--rates-of``: the rates of an earlier run's cases, counted by today's rules; its metadata kept, the recount
    recorded beside it."""
    import json
    from dataclasses import asdict

    from benchmarks.bench_decisions import main

    cases = [
        _case("iris", "linear", 0, "block", "noise", 0.96),
        _case("seattle_weather", "forest", 0, "block", "noise", 0.63),
    ]
    stored = tmp_path / "run.json"
    stored.write_text(json.dumps({"meta": {"commit": "abc"}, "rates": [], "cases": [asdict(c) for c in cases]}))
    out = tmp_path / "again.json"
    assert main(["--rates-of", str(stored), "--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["cases"] == json.loads(json.dumps([asdict(c) for c in cases])) and again["meta"]["commit"] == "abc"
    assert "rates_counted" in again["meta"]
    clean = next(r for r in again["rates"] if r["name"].startswith("clean tables"))
    assert (clean["hits"], clean["total"]) == (1, 1)
