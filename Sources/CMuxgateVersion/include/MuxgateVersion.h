// muxgate's version, Package.swift's `muxgateVersion` (a define of this target's, so that the
// manifest is the one place it is written).
#ifndef MUXGATE_VERSION_H
#define MUXGATE_VERSION_H

/// The version, e.g. "0.1.0".
const char *muxgate_version(void);

#endif
