"""Report files are written as one set: never half a file, never a mix of two runs, nothing left behind on an error."""

from __future__ import annotations

import json

import pytest

from gapgates.errors import StorageError
from gapgates.report.files import write_json, write_rendered, write_set


def _set(out, tag):
    return write_rendered(out, "report", {"run": tag}, markdown=f"# {tag}\n", html=f"<p>{tag}</p>")


def test_a_new_set_replaces_the_old_one_whole(tmp_path):
    _set(tmp_path, "old")
    paths = _set(tmp_path, "new")
    assert json.loads(paths["json"].read_text()) == {"run": "new"}
    assert paths["markdown"].read_text() == "# new\n" and paths["html"].read_text() == "<p>new</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json", "report.md"]


def test_a_file_that_cannot_be_written_leaves_the_old_set_and_no_temporary_file(tmp_path):
    _set(tmp_path, "old")
    (tmp_path / ".report.html.tmp").mkdir()  # writing the HTML fails (a directory is in the way)
    with pytest.raises(StorageError, match=r"Could not write '.*report\.html': Is a directory\. Free space or choose"):
        _set(tmp_path, "new")
    assert json.loads((tmp_path / "report.json").read_text()) == {"run": "old"}
    assert (tmp_path / "report.md").read_text() == "# old\n"
    assert not (tmp_path / ".report.json.tmp").exists() and not (tmp_path / ".report.md.tmp").exists()


def test_json_alone_is_atomic_and_refused_in_one_error(tmp_path):
    target = tmp_path / "a.json"
    write_json(target, {"a": 1})
    (tmp_path / ".a.json.tmp").mkdir()
    with pytest.raises(StorageError, match=r"Could not write .*a\.json"):
        write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}


def test_the_json_is_moved_in_last(tmp_path, monkeypatch):
    """Whatever instant a run is killed at, a report.json present means its Markdown and HTML are the same run's."""
    import os

    _set(tmp_path, "old")
    seen = []
    real = os.replace

    def watch(src, dst):
        seen.append((os.path.basename(dst), sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))))
        real(src, dst)

    monkeypatch.setattr(os, "replace", watch)
    write_set({tmp_path / "report.json": "{}", tmp_path / "report.md": "m", tmp_path / "report.html": "h"})
    assert [name for name, _ in seen] == ["report.md", "report.html", "report.json"]
    assert all("report.json" not in present for _, present in seen)  # the old JSON was gone before any file moved
