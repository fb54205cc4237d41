"""Hatchling build hook: muxgate's prebuilt binary and discovery model into the wheel, under its platform tag.

scripts/dist.sh sets, from the stripped release binary it packages:
  MUXGATE_BINARY          the binary's path
  MUXGATE_MODEL           the discovery model's path (all-MiniLM-L6-v2.q8.mxemb), shipped beside it
  MUXGATE_WHEEL_PLATFORM  the binary's platform tag, e.g. manylinux_2_35_x86_64: the newest glibc
                          symbol version it needs and its architecture (only glibc, libm, libgcc_s
                          and libstdc++ are linked dynamically; dist.sh checks that too)

Both files go into the package's bin/ directory, where muxgate/__init__.py runs the binary from.
"""

from __future__ import annotations

import os
import re
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class MuxgateBinaryHook(BuildHookInterface):
    PLUGIN_NAME = "muxgate-binary"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            raise RuntimeError("muxgate is packaged as a wheel only (the binary is per platform)")
        binary = os.environ.get("MUXGATE_BINARY", "")
        model = os.environ.get("MUXGATE_MODEL", "")
        platform = os.environ.get("MUXGATE_WHEEL_PLATFORM", "")
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise RuntimeError(f"MUXGATE_BINARY={binary!r} is not an executable file: run `make dist`")
        if not os.path.isfile(model) or not model.endswith(".mxemb"):
            raise RuntimeError(f"MUXGATE_MODEL={model!r} is not a model file: run `make dist`")
        if not re.fullmatch(r"manylinux_\d+_\d+_[a-z0-9_]+", platform):
            raise RuntimeError(f"MUXGATE_WHEEL_PLATFORM={platform!r} is not a manylinux tag: run `make dist`")
        # Not pure Python: Root-Is-Purelib false, and one tag for any Python 3 on this platform.
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform}"
        build_data["force_include"][binary] = "muxgate/bin/muxgate"
        build_data["force_include"][model] = f"muxgate/bin/{os.path.basename(model)}"
