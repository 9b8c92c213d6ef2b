"""``python -m gapgates``: the CLI."""

from gapgates.cli import main

if __name__ == "__main__":
    main()
