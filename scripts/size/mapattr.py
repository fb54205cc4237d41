#!/usr/bin/env python3
"""Attribute every input section of a gold -Map file to a library/package and an output section."""
import re, sys, collections, json
mapfile = sys.argv[1]
PKG = {
 # package -> targets
 "muxgate (our targets)": "muxgate CMuxgateCommit CMuxgateVersion MuxgateWire MuxgateConfig MuxgatePolicy MuxgateAudit MuxgateDiscovery MuxgateChildren MuxgateRemote MuxgateCommands MuxgateTelemetry MuxgateRouting MuxgateTeam MuxgateCLI",
 "swift-crypto: BoringSSL C (CCryptoBoringSSL)": "CCryptoBoringSSL CCryptoBoringSSLShims CXKCP CXKCPShims",
 "swift-crypto: Swift (Crypto, _CryptoExtras)": "Crypto CryptoBoringWrapper CryptoExtras _CryptoExtras",
 "swift-nio-ssl: BoringSSL C (CNIOBoringSSL)": "CNIOBoringSSL CNIOBoringSSLShims",
 "swift-nio-ssl: Swift (NIOSSL)": "NIOSSL NIOTLS",
 "swift-nio": "NIO NIOCore NIOEmbedded NIOPosix NIOHTTP1 NIOConcurrencyHelpers NIOFileSystem NIOFoundationEssentialsCompat _NIOBase64 _NIODataStructures _NIOFileSystem CNIOAtomics CNIODarwin CNIOFreeBSD CNIOLLHTTP CNIOLinux CNIOOpenBSD CNIOPosix CNIOWASI CNIOWindows NIOTLS_",
 "swift-nio-http2": "NIOHPACK NIOHTTP2",
 "swift-nio-extras": "NIOExtras NIOHTTPCompression NIOHTTPTypes NIOHTTPTypesHTTP1 NIOSOCKS CNIOExtrasZlib",
 "async-http-client": "AsyncHTTPClient CAsyncHTTPClient",
 "hummingbird": "Hummingbird HummingbirdCore HummingbirdTLS",
 "jwt-kit": "JWTKit",
 "swift-certificates + swift-asn1": "X509 _CertificateInternals SwiftASN1",
 "swift-otel": "OTel",
 "swift-protobuf": "SwiftProtobuf",
 "swift-prometheus": "Prometheus",
 "swift-metrics": "CoreMetrics Metrics",
 "swift-distributed-tracing + service-context + w3c": "Tracing Instrumentation ServiceContextModule ServiceContextModuleCompatibility W3CTraceContext",
 "Yams (+ libyaml CYaml)": "Yams CYaml",
 "swift-argument-parser": "ArgumentParser ArgumentParserToolInfo",
 "swift-subprocess": "Subprocess _SubprocessCShims",
 "swift-system": "SystemPackage CSystem",
 "swift-log": "Logging",
 "swift-service-lifecycle": "ServiceLifecycle UnixSignals ConcurrencyHelpers",
 "swift-configuration": "Configuration",
 "swift-http-types": "HTTPTypes",
 "swift-collections / algorithms / async-algorithms / atomics / numerics": "Algorithms AsyncAlgorithms Atomics _AtomicsShims ContainersPreview DequeModule InternalCollectionsUtilities OrderedCollections RealModule _NumericsShims",
 "swift-extras-base64": "ExtrasBase64",
}
T2P = {t: p for p, ts in PKG.items() for t in ts.split()}
LIB = {
 "lib_FoundationICU.a": "ICU (_FoundationICU, code)",
 "libCoreFoundation.a": "CoreFoundation (full Foundation)",
 "libFoundation.a": "Foundation (swift-corelibs)",
 "libFoundationInternationalization.a": "FoundationInternationalization",
 "libFoundationEssentials.a": "FoundationEssentials",
 "lib_FoundationCShims.a": "FoundationEssentials",
 "lib_FoundationCollections.a": "FoundationEssentials",
 "libFoundationNetworking.a": "FoundationNetworking",
 "libswiftCore.a": "Swift runtime + stdlib",
 "libswift_Concurrency.a": "Swift Concurrency",
 "libswift_StringProcessing.a": "Swift Regex (_StringProcessing/_RegexParser)",
 "libswift_RegexParser.a": "Swift Regex (_StringProcessing/_RegexParser)",
 "libswiftSynchronization.a": "Swift runtime + stdlib",
 "libswiftGlibc.a": "Swift runtime + stdlib",
 "libdispatch.a": "libdispatch + BlocksRuntime",
 "libswiftDispatch.a": "libdispatch + BlocksRuntime",
 "libBlocksRuntime.a": "libdispatch + BlocksRuntime",
 "libsqlite3.a": "SQLite (static)",
 "libpg_query.a": "libpg_query (static)",
 "libz.a": "zlib (static)",
}
def group(f):
    m = re.search(r'/objs/([^/]+)\.build/', f)
    if m:
        t = m.group(1); return T2P.get(t, "pkg:"+t), t
    m = re.search(r'/([^/()]+\.a)\(([^)]*)\)', f)
    if m:
        lib = m.group(1); return LIB.get(lib, lib), lib
    if 'swiftrt.o' in f: return "Swift runtime + stdlib", "swiftrt.o"
    return "crt/libc/linker", f.split('/')[-1]

def synth(o):
    if o in ('.eh_frame','.eh_frame_hdr'): return "unwind tables (.eh_frame/.eh_frame_hdr, linker-merged, all code)"
    if o in ('.dynsym','.dynstr','.gnu.hash','.gnu.version','.hash'): return "exported dynamic symbols (-export-dynamic: .dynsym/.dynstr/.gnu.hash/.gnu.version)"
    if o in ('.rela.dyn','.rela.plt'): return "PIE relocations (.rela.dyn)"
    return "(linker-merged strings/constants, GOT/PLT)"
lines = open(mapfile, errors='replace').read().split('\n')
# find start of memory map
start = next(i for i,l in enumerate(lines) if l.startswith('Memory map') or re.match(r'^\.interp\s', l))
outsec = None
acc = collections.defaultdict(lambda: collections.defaultdict(int))   # group -> outsec -> bytes
accT = collections.defaultdict(lambda: collections.defaultdict(int))  # target/lib -> outsec
osize = {}
pending = None
hexre = re.compile(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$')
for l in lines[start:]:
    if not l: continue
    if not l.startswith(' '):
        m = re.match(r'^(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)', l)
        if m:
            outsec = m.group(1); osize[outsec] = int(m.group(3),16); pending=None; continue
        m = re.match(r'^(\S+)\s*$', l)
        if m: outsec = m.group(1); pending=None; continue
        continue
    if l.startswith(' ') and not l.startswith('  '):
        # input section header, maybe with addr/size on same line
        parts = l.split()
        if l.startswith(' **'):
            name = ' '.join(parts[:3]) if len(parts)>=3 else l.strip()
            m = re.search(r'0x([0-9a-f]+)\s+0x([0-9a-f]+)', l)
            if m:
                acc[synth(outsec)][outsec] += int(m.group(2),16); pending=None
            else: pending = ('**',)
            continue
        m = re.match(r'^\s(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$', l)
        if m:
            g,t = group(m.group(4)); sz=int(m.group(3),16)
            acc[g][outsec]+=sz; accT[t][outsec]+=sz; pending=None
        else:
            pending = (parts[0],)
        continue
    if pending:
        m = hexre.match(l)
        if pending[0]=='**':
            m2 = re.match(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s*$', l)
            if m2: acc[synth(outsec)][outsec]+=int(m2.group(2),16)
            pending=None; continue
        if m:
            g,t = group(m.group(3)); sz=int(m.group(2),16)
            acc[g][outsec]+=sz; accT[t][outsec]+=sz
        pending=None
json.dump({"groups":{g:dict(v) for g,v in acc.items()},"targets":{g:dict(v) for g,v in accT.items()},"osize":osize}, open(sys.argv[2],'w'), indent=1)
