"""``gapgates registry show``'s table: aligned, separated columns whatever the lengths (the command itself: tests/e2e)."""

from __future__ import annotations

from gapgates.cli.registry import table


def test_columns_are_as_wide_as_their_longest_cell_and_never_touch():
    lines = table([["time", "actor", "reasons"], ["t1", "alice@example.com", "known label noise"], ["t22", "bob", "-"]])
    assert lines == [
        "time  actor              reasons",
        "t1    alice@example.com  known label noise",
        "t22   bob                -",
    ]
    assert len({line.index(word) for line, word in zip(lines, ["reasons", "known", "-"])}) == 1


def test_an_indent_and_no_trailing_spaces():
    assert table([["a", ""], ["bb", "c"]], indent="  ") == ["  a", "  bb  c"]
    assert table([]) == []
