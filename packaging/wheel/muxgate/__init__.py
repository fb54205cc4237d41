"""muxgate's wheel: the prebuilt binary and the discovery model, run through the `muxgate` command.

The binary and its model file sit together in this package's `bin/` directory (the binary finds
the model beside its own resolved path, /proc/self/exe), wherever the installer put the package:
a venv, pipx's and uv's tool environments, `pip install --user` or `--target`. `main` replaces this
Python process with the binary (`os.execv`), so muxgate's stdin, stdout, signals and exit status
are the binary's own; Python's start-up is the only cost (see docs/performance.md).
"""

from __future__ import annotations

import os
import sys

BINARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "muxgate")


def main() -> None:
    """Runs the binary with this command's arguments; returns only if it cannot be started."""
    try:
        # argv[0] stays the command the user ran (`muxgate import` prints it in the line it advises).
        os.execv(BINARY, [sys.argv[0], *sys.argv[1:]])
    except OSError as error:
        sys.exit(f"muxgate: cannot run {BINARY}: {error.strerror} (reinstall the muxgate wheel)")
