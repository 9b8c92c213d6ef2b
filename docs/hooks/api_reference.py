"""The API page's directives, generated from ``gapgates.__all__`` (an mkdocs hook).

``docs/reference/api.md`` holds the marker ``<!-- api-reference -->``; at build time :func:`on_page_markdown` replaces
it with one mkdocstrings directive (``::: module.name``) per public name, grouped by the module that defines it, so a
name added to ``gapgates/__init__.py`` appears without editing the page. The public names are imported lazily, which
a static reader cannot follow: hence the list is read from the package's own table.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- api-reference -->"


def objects() -> dict[str, list[tuple[str, str]]]:
    """``{module: [(public name, dotted path of the object)]}``, modules and names sorted."""
    import gapgates

    found: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(gapgates._EXPORTS):
        module = gapgates._EXPORTS[name]
        found.setdefault(module, []).append((name, f"{module}.{gapgates._ALIASES.get(name, name)}"))
    return dict(sorted(found.items()))


def render() -> str:
    """The Markdown: a heading per module, a directive per public name."""
    out: list[str] = []
    for module, names in objects().items():
        out += [f"## `{module}`", ""]
        for public, path in names:
            note = f"\n\n`gapgates.{public}` is this object." if not path.endswith(f".{public}") else ""
            out += [f"::: {path}", "    options:", "      show_root_full_path: false", note, ""]
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook: the marker becomes the directives."""
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
