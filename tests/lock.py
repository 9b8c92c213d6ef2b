"""Reading ``requirements.lock``: the exact versions ``make demo``, ``make test`` and CI install.

``python -m tests.lock [requirements.lock]`` prints the installed distributions whose version differs from
the lock (``make test-latest`` runs it before the suite, so a failure there names what moved).
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def locked_versions(path: Path = LOCK) -> dict[str, str]:
    """``{canonical name: version}`` of every line of the lock whose environment marker holds here."""
    pinned: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        (spec,) = req.specifier  # uv writes one exact pin per line
        if spec.operator != "==":
            raise ValueError(f"{path}: expected an exact pin (name==version). Got {line!r}.")
        pinned[canonicalize_name(req.name)] = spec.version
    return pinned


def differences(path: Path = LOCK) -> list[tuple[str, str, str | None]]:
    """``(name, locked, installed)`` for every locked distribution installed at another version (None: absent)."""
    out = []
    for name, locked in sorted(locked_versions(path).items()):
        try:
            installed: str | None = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != locked:
            out.append((name, locked, installed))
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else LOCK
    moved = [(n, lock, inst) for n, lock, inst in differences(path) if inst is not None]
    if not moved:
        print(f"every installed distribution is at its version in {path.name}")
    for name, locked, installed in moved:
        print(f"{name}: {locked} in {path.name}, {installed} installed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
