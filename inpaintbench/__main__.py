"""``python -m inpaintbench``: the command line."""

import sys

from inpaintbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
