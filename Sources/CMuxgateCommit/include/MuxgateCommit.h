// The git commit the muxgate executable was built from: the header `make build-info` writes.
//
// Only the executable target depends on this one, and hands the commit to MuxgateCore at start
// (`MuxgateMain.run(commit:)`): SwiftPM recompiles every Swift target that depends on a C target
// whose object changed, so a new commit costs main.swift and a relink, not MuxgateCore.
#ifndef MUXGATE_COMMIT_H
#define MUXGATE_COMMIT_H

/// The short git commit, with "-dirty" when tracked files differed from it; "unknown" when the
/// binary was built without `make` (a plain `swift build`) or outside a git checkout.
const char *muxgate_build_commit(void);

#endif
