#include "MuxgateVersion.h"

#ifndef MUXGATE_VERSION
#error "MUXGATE_VERSION is defined by Package.swift (cSettings of CMuxgateVersion)"
#endif

const char *muxgate_version(void) { return MUXGATE_VERSION; }
