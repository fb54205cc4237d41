// swift-tools-version: 6.2
import PackageDescription

// What the test support, the benchmarks and the tests see: every layer.
let everyLayer: [Target.Dependency] = [
    "MuxgateWire", "MuxgateConfig", "MuxgatePolicy", "MuxgateAudit", "MuxgateDiscovery", "MuxgateChildren",
    "MuxgateRemote", "MuxgateCommands", "MuxgateTelemetry", "MuxgateRouting", "MuxgateTeam", "MuxgateCLI",
]

/// muxgate's version: what `muxgate --version` reports and what `make dist` names its packages
/// (the commit comes from `make build-info`; a release's git tag `v<version>` must match this).
let muxgateVersion = "0.1.0"

let package = Package(
    name: "muxgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "muxgate", targets: ["muxgate"]),
        .executable(name: "muxgate-fixture", targets: ["muxgate-fixture"]),
        .executable(name: "muxgate-bench", targets: ["muxgate-bench"]),
        .executable(name: "muxgate-relay", targets: ["muxgate-relay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // OTLP over HTTP only: the gRPC exporter (its trait is on by default) would add minutes to
        // every clean build for a transport the HTTP one already covers.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "muxgate",
            dependencies: ["MuxgateCLI", "CMuxgateCommit"]
        ),
        // The commit the executable reports (the header `make build-info` writes). Only the
        // executable depends on it: a new commit recompiles main.swift and relinks, not the libraries.
        .target(
            name: "CMuxgateCommit",
            path: "Sources/CMuxgateCommit"
        ),
        // The version, from this manifest (`muxgateVersion` above), for MuxgateWire's `MuxgateVersion`.
        .target(
            name: "CMuxgateVersion",
            path: "Sources/CMuxgateVersion",
            cSettings: [.define("MUXGATE_VERSION", to: "\"\(muxgateVersion)\"")]
        ),
        // The system's SQLite: SQLite's own parser for a SQLite `sql: read_only` rule's `database:`.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // PostgreSQL's parser (libpg_query): the parse-tree layer of a PostgreSQL `sql: read_only` rule.
        .systemLibrary(
            name: "CPGQuery",
            path: "Sources/CPGQuery",
            providers: [.apt(["libpg-query-dev"])]
        ),
        // The wire: JSON, JSON-RPC, framing and SSE, canonical JSON, secrets' scrubbing, and the
        // small concurrency helpers every layer uses. Nothing above it.
        .target(
            name: "MuxgateWire",
            dependencies: [
                "CMuxgateVersion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The configuration: every setting as a Codable value validated where it is decoded (the
        // operator's policy, shaping and pinning as the file states them), and the loader.
        .target(
            name: "MuxgateConfig",
            dependencies: [
                "MuxgateWire",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The policy's decisions over what the configuration states: profiles and argument rules
        // (the SQL analysis with the engines' own parsers, path containment), shaping, scopes.
        .target(
            name: "MuxgatePolicy",
            dependencies: ["MuxgateWire", "MuxgateConfig", "CSQLite", "CPGQuery"]
        ),
        // The audit trail: hash-chained records, group commit, the anchor's signed checkpoints,
        // verification and review. It names callers by value (`AuditCaller`).
        .target(
            name: "MuxgateAudit",
            dependencies: [
                "MuxgateWire", "MuxgateConfig",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Progressive tool discovery: the tokenizer, the MiniLM forward pass, BM25, the fused index. Foundation only.
        .target(
            name: "MuxgateDiscovery"
        ),
        // A child server behind the transport protocol: its lifecycle, handshake, requests and restarts,
        // the stdio transport. It knows the session it may serve only as a value (`ChildOwner`).
        .target(
            name: "MuxgateChildren",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Remote children: Streamable HTTP and SSE, and OAuth for them, behind the transport protocol.
        .target(
            name: "MuxgateRemote",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                "MuxgateChildren",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Command tools: a configured command line as a tool, behind the transport protocol.
        .target(
            name: "MuxgateCommands",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                "MuxgateChildren",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Metrics and traces. It sees a request and its caller as values.
        .target(
            name: "MuxgateTelemetry",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The gate: sessions, catalogues, the one pipeline every IDE request passes (GateRoute), the
        // stdio front. Transports come from the assembly (ChildTransports).
        .target(
            name: "MuxgateRouting",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                "MuxgateDiscovery",
                "MuxgateChildren",
                "MuxgateTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Team mode: the Streamable HTTP front, callers' authentication (tokens, OIDC), sessions' streams.
        .target(
            name: "MuxgateTeam",
            dependencies: [
                "MuxgateChildren",
                "MuxgateTelemetry",
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                "MuxgateRouting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        // The application: the commands, the configuration watcher, and the assembly (the standard
        // transports). The `muxgate` executable is its `main`.
        .target(
            name: "MuxgateCLI",
            dependencies: [
                "MuxgateWire",
                "MuxgateConfig",
                "MuxgatePolicy",
                "MuxgateAudit",
                "MuxgateDiscovery",
                "MuxgateChildren",
                "MuxgateRemote",
                "MuxgateCommands",
                "MuxgateTelemetry",
                "MuxgateRouting",
                "MuxgateTeam",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "MuxgateTesting",
            dependencies: everyLayer
        ),
        .executableTarget(
            name: "muxgate-fixture"
        ),
        // The benchmark's floor: a C relay that copies bytes between the client and the child.
        .executableTarget(
            name: "muxgate-relay",
            linkerSettings: [.linkedLibrary("pthread")]
        ),
        .executableTarget(
            name: "muxgate-bench",
            dependencies: everyLayer + [
                "MuxgateTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MuxgateCoreTests",
            dependencies: everyLayer + ["MuxgateTesting"],
            // Reference data the tests read by path (the discovery engine's tokenizer and vectors).
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "MuxgateIntegrationTests",
            dependencies: everyLayer + [
                "MuxgateTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    guard !["CMuxgateVersion", "CMuxgateCommit"].contains(target.name) else { continue }  // C: no Swift settings
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
