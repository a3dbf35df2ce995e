"""`python -m secuah_dl` is the `secuah-dl` command."""

import sys

from secuah_dl.cli import main

sys.exit(main())
