"""Run the command line: ``python -m pipeline``."""

import sys

from pipeline.cli import main

# The guard matters: Dask's worker processes re-import the main module when they start.
if __name__ == "__main__":
    sys.exit(main())
