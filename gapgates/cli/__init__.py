"""The ``gapgates`` command line: one module per command group.

The console script is :func:`gapgates.cli.main.main`."""

from __future__ import annotations

from gapgates.cli.main import cli, main

__all__ = ["cli", "main"]
