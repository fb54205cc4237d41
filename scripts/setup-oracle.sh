#!/usr/bin/env bash
# The reference implementations the discovery tests' fixtures come from (test-only, never at run
# time): Hugging Face tokenizers and sentence-transformers on torch, in .venv-oracle. Large (torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-oracle"
REQUIREMENTS=("tokenizers==0.23.3" "sentence-transformers==6.3.0" "transformers==5.25.0" "torch==2.15.0" "numpy==2.4.6")
if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import tokenizers, sentence_transformers' 2>/dev/null; then
    echo "oracle ready: $VENV" >&2
    exit 0
fi
rm -rf "$VENV"
"${PYTHON:-python3}" -m venv "$VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --no-input "${REQUIREMENTS[@]}"
echo "oracle ready: $VENV" >&2
