#!/usr/bin/env bash
# The whole test suite on a fresh machine: creates .venv, installs, runs pytest.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k toy2d`).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
python -m pytest "$@"
