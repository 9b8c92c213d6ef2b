"""A griffe extension for the API page: gapgates' docstrings title their doctests ``Example:`` (singular).

griffe's Google parser reads only ``Examples:`` as a section of examples (code); ``Example:`` would be an admonition
whose ``>>>`` lines are read as Markdown. This renames the title in the docstring griffe reads (nothing in the
source changes).
"""

from __future__ import annotations

import re
from typing import Any

import griffe


class ExampleSections(griffe.Extension):
    """``Example:`` becomes ``Examples:`` in every docstring the API page renders."""

    def on_instance(self, *, obj: griffe.Object, **_: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = re.sub(r"^(\s*)Example:\s*$", r"\1Examples:", obj.docstring.value, flags=re.M)
