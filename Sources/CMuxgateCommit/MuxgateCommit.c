#include "MuxgateCommit.h"

// Written by `make build-info` (scripts/build-info.sh), only when the commit changes, and ignored
// by git: so a build never dirties the tree.
#if __has_include("commit.generated.h")
#include "commit.generated.h"
#endif

#ifndef MUXGATE_COMMIT
#define MUXGATE_COMMIT "unknown"
#endif

const char *muxgate_build_commit(void) { return MUXGATE_COMMIT; }
