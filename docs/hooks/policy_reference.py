"""The policy reference, generated from the pydantic policy model (an mkdocs hook).

``docs/guides/policy.md`` holds the marker ``<!-- policy-reference -->``; at build time :func:`on_page_markdown`
replaces it with one table per policy section: every key with its type, its default, its range and the
description from the section's docstring (``Attributes:``). The model is :func:`gapgates.judge.policy.policy_model`,
so a key added to :mod:`gapgates.judge.policy` (or a measurement's own section) appears without editing the page.
``tests/unit/test_docs.py`` checks that every key of the model is rendered.
"""

from __future__ import annotations

import enum
import inspect
import re
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

MARKER = "<!-- policy-reference -->"


def _attributes(model: type[BaseModel]) -> dict[str, str]:
    """``{name: description}`` from the ``Attributes:`` section of a Google-style class docstring."""
    doc = inspect.getdoc(model) or ""
    found: dict[str, str] = {}
    block = doc.split("Attributes:", 1)[1] if "Attributes:" in doc else ""
    name = None
    for line in block.splitlines():
        if line and not line.startswith(" "):
            break  # the next section of the docstring
        match = re.match(r"^    (\w+)(?: \([^)]*\))?: (.*)$", line)
        if match:
            name = match.group(1)
            found[name] = match.group(2).strip()
        elif name and line.strip():
            found[name] += " " + line.strip()
    return found


def _summary(model: type[BaseModel]) -> str:
    """The first paragraph of a class docstring, without its ``[section]`` prefix."""
    first = (inspect.getdoc(model) or "").split("\n\n", 1)[0].replace("\n", " ")
    first = re.sub(r"^``\[[^\]]+\]``:\s*", "", first)
    return _plain(first[:1].upper() + first[1:])


def _plain(text: str) -> str:
    """Sphinx roles and double backquotes as Markdown code."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def _is_rule(annotation: Any) -> bool:
    from gapgates.judge.policy import Rule

    return Rule in get_args(annotation) or annotation is Rule


def _type(annotation: Any) -> str:
    """A type in the words of a policy file."""
    if _is_rule(annotation):
        return 'limit: a number, or `{limit = …, severity = "warn"}`'
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(f'`"{v}"`' for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [a for a in get_args(annotation) if a is not type(None)]
        return " or ".join(_type(a) for a in parts) + (" (or unset)" if len(parts) < len(get_args(annotation)) else "")
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return f"list of {_type(item)}"
    if origin is dict:
        return "tables, one per name"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f'`"{m.value}"`' for m in annotation)
    names = {bool: "true or false", int: "integer", float: "number", str: "string"}
    if annotation in names:
        return names[annotation]
    return "any" if annotation is Any else getattr(annotation, "__name__", str(annotation))


def _toml(value: Any, *, rule: bool = True) -> str:
    """A default as it is written in a policy file (None: a rule that is off, or an unset value)."""
    from gapgates.judge.policy import Rule

    if value is None:
        return "off" if rule else "unset"
    if isinstance(value, Rule):
        if value.severity is None:
            return f"`{value.limit:g}`"
        return f'`{{limit = {value.limit:g}, severity = "{value.severity.value}"}}`'
    if isinstance(value, enum.Enum):
        return f'`"{value.value}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[" + ", ".join(_toml(v).strip("`") for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _default(info: FieldInfo) -> Any:
    return info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]


def _range(info: FieldInfo) -> str:
    from gapgates.judge.policy import _declared_range

    declared = _declared_range(info)
    if declared is None:
        return ""
    text = declared.describe(integer=info.annotation is int)
    text = text.replace("between minus infinity and infinity", "(any finite number)")
    text = re.sub(r"number between (\S+) and infinity", r"number of at least \1", text)
    return text + (" (no upper bound for `neg_*` metrics)" if declared.unbounded_for_neg_metrics else "")


def _rows(model: type[BaseModel]) -> list[tuple[str, str, str, str, str]]:
    descriptions = _attributes(model)
    rows = []
    for name, info in model.model_fields.items():
        description = descriptions.get(name, "")
        if name == "severity" and not description:
            description = "The default severity of this section's rules: a breached `warn` rule shows but does not block."
        default = _toml(_default(info), rule=_is_rule(info.annotation))
        rows.append((name, _type(info.annotation), default, _range(info), _plain(description)))
    return rows


def _table(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    lines = ["| key | type | default | range | description |", "|---|---|---|---|---|"]
    for name, kind, default, between, description in rows:
        cells = [f"`{name}`", kind, default, between, description.replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def sections(model: type[BaseModel] | None = None) -> list[tuple[str, type[BaseModel]]]:
    """``(table name, section model)`` for every section of the policy, nested tables included, in order."""
    from gapgates.judge.policy import policy_model

    found: list[tuple[str, type[BaseModel]]] = []
    for name, info in (model or policy_model()).model_fields.items():
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            found.append((name, section))
            for key, nested in section.model_fields.items():
                args = get_args(nested.annotation)
                if get_origin(nested.annotation) is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
                    found.append((f"{name}.{key}.<name>", args[1]))
    return found


def render(model: type[BaseModel] | None = None) -> str:
    """The Markdown reference of every section and key of the policy model."""
    out: list[str] = []
    for table, section in sections(model):
        out += [f"### `[{table}]`", "", _summary(section), ""]
        out += [*_table(_rows(section)), ""]
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook: the marker becomes the generated reference."""
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
