# Sourced by scripts/test.sh and scripts/demo.sh: make (or reuse) .venv with the
# package installed in editable mode. Re-installs when setup.cfg changes.
# SECUAH_DL_EXTRAS picks the extras (default "cpu,dev,chem,jax": tensorflow-cpu, not the
# 572 MB GPU build); SECUAH_DL_VENV picks the folder (default .venv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SECUAH_DL_VENV:-$root/.venv}"
extras="${SECUAH_DL_EXTRAS:-cpu,dev,chem,jax}"
python="${PYTHON:-python3}"
stamp="$venv/.secuah_dl-install"
want="$(cat "$root/setup.cfg" "$root/pyproject.toml" | sha256sum | cut -c1-16) $extras"
if [ ! -x "$venv/bin/python" ]; then
    echo "[setup] creating $venv with $($python --version)"
    "$python" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[setup] installing secuah_dl[$extras] into $venv (about a minute the first time)"
    start=$(date +%s)
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[$extras]"
    echo "$want" > "$stamp"
    echo "[setup] installed in $(( $(date +%s) - start )) s"
fi
export PATH="$venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export MPLBACKEND="${MPLBACKEND:-Agg}"
cd "$root"
