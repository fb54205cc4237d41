// What the binary reports of its own build: the version (Package.swift's `muxgateVersion`) and the
// git commit it was built from (the header `make build-info` writes; "unknown" without it).
#ifndef MUXGATE_BUILD_H
#define MUXGATE_BUILD_H

/// The version, e.g. "0.1.0".
const char *muxgate_build_version(void);

/// The short git commit, with "-dirty" when tracked files differed from it; "unknown" when the
/// binary was built without `make` (a plain `swift build`) or outside a git checkout.
const char *muxgate_build_commit(void);

#endif
