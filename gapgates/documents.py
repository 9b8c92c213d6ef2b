"""Reading the documents users write or hand over (policy, config, GX suite, report.json) within limits.

A document is read only if it is a regular file no larger than its size limit and valid UTF-8;
then it is parsed safely: TOML with ``tomllib``, YAML with a safe
loader that refuses aliases (``*name``: a few hundred bytes of nested aliases can expand to
gigabytes) and deep nesting, JSON with the standard parser. Nothing nested deeper than
:data:`MAX_DEPTH` levels is accepted, so no later step (validation, an error message) can recurse
without bound. Every problem is one :class:`~gapgates.errors.ConfigError` (or the subclass the
caller names) saying what was expected and how to fix it.

======================== ========= ======================================================
limit                    default   raise it with the environment variable
======================== ========= ======================================================
document size            1 MiB     ``GAPGATES_MAX_DOCUMENT_BYTES`` (policy, config, suite)
report.json size         64 MiB    ``GAPGATES_MAX_REPORT_BYTES`` (``gapgates report --from``)
nesting depth            32        ``GAPGATES_MAX_DOCUMENT_DEPTH``
YAML aliases             refused   (write the values out)
======================== ========= ======================================================
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from gapgates.errors import ConfigError, GapGatesError, brief

loads = tomllib.loads
TOMLDecodeError = tomllib.TOMLDecodeError

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_REPORT_BYTES",
    "TOMLDecodeError",
    "depth",
    "limit",
    "load_json",
    "load_toml",
    "load_yaml",
    "loads",
    "read_text",
]

MAX_DOCUMENT_BYTES = 1 << 20
MAX_REPORT_BYTES = 64 << 20
MAX_DEPTH = 32

_ENV = {
    "MAX_DOCUMENT_BYTES": ("GAPGATES_MAX_DOCUMENT_BYTES", MAX_DOCUMENT_BYTES),
    "MAX_REPORT_BYTES": ("GAPGATES_MAX_REPORT_BYTES", MAX_REPORT_BYTES),
    "MAX_DEPTH": ("GAPGATES_MAX_DOCUMENT_DEPTH", MAX_DEPTH),
}


def limit(name: str) -> int:
    """A limit's value: its environment variable when set to a positive integer, else the default.

    Example:
        >>> limit("MAX_DEPTH")
        32
    """
    variable, default = _ENV[name]
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"The environment variable {variable} must be a positive integer. Got {brief(text, 40)!r}.") from None
    if value < 1:
        raise ConfigError(f"The environment variable {variable} must be a positive integer. Got {value}.")
    return value


def read_text(
    path: str | Path, what: str, *, size: str = "MAX_DOCUMENT_BYTES", error: type[GapGatesError] = ConfigError, hint: str = ""
) -> str:
    """The UTF-8 text of a regular file no larger than its size limit (a leading byte-order mark dropped).

    Args:
        path: The file.
        what: How messages name it (``"Policy file"``).
        size: The name of its size limit: ``"MAX_DOCUMENT_BYTES"`` or ``"MAX_REPORT_BYTES"``.
        error: The error class to raise.
        hint: Appended to "does not exist" (``"Pass an existing TOML or YAML file to --policy."``).

    Raises:
        error: When the file is missing, a directory, not a regular file, too large, unreadable or not UTF-8.
    """
    path = Path(path)
    max_bytes = limit(size)
    if path.is_dir():
        raise error(f"{what} '{path}' is a directory. Pass the file itself.")
    if not path.exists():
        raise error(f"{what} '{path}' does not exist." + (f" {hint}" if hint else ""))
    if not path.is_file():
        raise error(f"{what} '{path}' is not a regular file (a device, pipe or socket). Pass a file.")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise error(f"{what} '{path}' cannot be read: {err.strerror or err}.") from None
    if len(data) > max_bytes:
        raise error(
            f"{what} '{path}' is larger than the limit of {max_bytes:,} bytes. Pass the right file, or raise "
            f"the limit with the environment variable {_ENV[size][0]}."
        )
    try:
        return data.decode("utf-8-sig")  # a leading byte-order mark (Windows editors write one) is not text
    except UnicodeDecodeError as err:
        raise error(
            f"{what} '{path}' is not UTF-8 text (byte {err.start} is 0x{data[err.start]:02x}). Save it as UTF-8."
        ) from None


def depth(value: Any) -> int:
    """How deeply lists and mappings nest in a parsed document (a scalar is 0), without recursion.

    Example:
        >>> depth({"a": [1, {"b": 2}]})
        3
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _too_deep(source: str, error: type[GapGatesError], max_depth: int) -> GapGatesError:
    return error(
        f"{source} nests more than {max_depth} levels of tables or lists. Flatten it (or raise the limit "
        "with the environment variable GAPGATES_MAX_DOCUMENT_DEPTH)."
    )


def _checked_depth(data: Any, source: str, error: type[GapGatesError]) -> Any:
    max_depth = limit("MAX_DEPTH")
    if depth(data) > max_depth:
        raise _too_deep(source, error, max_depth)
    return data


def load_toml(text: str, source: str, *, error: type[GapGatesError] = ConfigError) -> dict[str, Any]:
    """Parse TOML, refusing documents nested deeper than the depth limit.

    Raises:
        error: Naming the source and the TOML problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{source} is not valid TOML: {brief(str(err), 200)}.") from None
    except RecursionError:
        raise _too_deep(source, error, limit("MAX_DEPTH")) from None
    return _checked_depth(data, source, error)


def load_yaml(text: str, source: str, *, error: type[GapGatesError] = ConfigError) -> Any:
    """Parse YAML with a safe loader that refuses aliases and nesting deeper than the depth limit.

    Raises:
        error: Naming the source and the YAML problem (with its line).
    """
    import yaml

    max_depth = limit("MAX_DEPTH")

    class Loader(yaml.SafeLoader):
        """PyYAML's safe loader without aliases, nesting at most ``max_depth`` levels."""

        nesting = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"aliases (*name) are not allowed (line {mark.line + 1}); write the values out")
            self.nesting += 1
            try:
                if self.nesting > max_depth:
                    raise _too_deep(source, error, max_depth)
                return super().compose_node(parent, index)
            finally:
                self.nesting -= 1

    try:
        data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as err:
        raise error(f"{source} is not valid YAML: {brief(str(err), 200)}.") from None
    except RecursionError:
        raise _too_deep(source, error, max_depth) from None
    return _checked_depth(data, source, error)


def load_json(text: str, source: str, *, error: type[GapGatesError] = ConfigError) -> Any:
    """Parse JSON, refusing documents nested deeper than twice the depth limit (a report nests more than a policy).

    Raises:
        error: Naming the source and the JSON problem.
    """
    max_depth = 2 * limit("MAX_DEPTH")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"{source} is not valid JSON: {err}.") from None
    except RecursionError:
        raise _too_deep(source, error, max_depth) from None
    if depth(data) > max_depth:
        raise _too_deep(source, error, max_depth)
    return data
