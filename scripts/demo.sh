#!/usr/bin/env bash
# The main job on a fresh machine: creates .venv, installs, runs every practical
# in quick mode on the embedded (synthetic or bundled) data and writes
# runs/REPORT.md, runs/metrics.json and the figures. Extra arguments go to
# `secuah-dl run` (e.g. `bash scripts/demo.sh --out /tmp/runs`).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
secuah-dl info
secuah-dl run all --quick --out runs "$@"
