import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire

/// The stages an IDE request passes through the gate, in this order. A method's route names the
/// ones it needs; none is ever skipped for a method that names it, on any path.
package enum GateStage: String, Sendable, CaseIterable, Comparable {
    /// One reading: a message a child could read differently from muxgate (a repeated key, a case
    /// twin of an argument) is refused (`Gateway+OneReading`).
    case read
    /// The name, URI, reference or task id to the child that owns it, through the filters listing
    /// applies (`NamedCatalogue`, `ResourceCatalogue.route`, `TaskRegistry`).
    case resolve
    /// Operator-pinned and default arguments; the names the child will see (`ToolShaper`).
    case shape
    /// The profile, the argument rules and pinning's quarantine decide (`PolicyEngine`).
    case judge
    /// The caller's rates, calls in flight and quotas (`limits:`) admit it or refuse it; a call the
    /// policy denied counts against nothing (`Gateway+Limit`).
    case limit
    /// The decision in the audit trail, on disk first when the call can change something.
    case record
    /// A person approves an `ask` (elicitation, or an input-required round trip).
    case approve
    /// To the child under a fresh id, and its answer back under the IDE's (`Gateway+Forward`).
    case forward
    /// The child's answer to a tool call is guarded before the IDE gets it: secrets redacted or the
    /// result withheld, invisible characters stripped (`ResultGuard`, `Gateway+Guards`).
    case screen
    /// How the call ended, in the audit trail and the telemetry.
    case observe

    package static func < (lhs: GateStage, rhs: GateStage) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How the gate handles one method: who answers it, and the stages it passes.
package struct GateRoute: Sendable {
    /// Who answers.
    package enum Handler: Sendable {
        /// muxgate itself (the handshake, lists, ping): nothing reaches a child.
        case muxgate
        /// A tool call: the whole pipeline.
        case tool
        /// The child that owns a name, URI, reference or task.
        case owner
        /// Every child that offers it (each hears it; the IDE gets muxgate's answer).
        case fanOut
    }

    package let method: String
    package let handler: Handler
    /// In `GateStage` order.
    package let stages: [GateStage]

    /// Whether anything of the request reaches a child.
    package var reachesChild: Bool { handler != .muxgate }
}

extension GateRoute {
    private static func muxgate(_ method: String) -> GateRoute {
        GateRoute(method: method, handler: .muxgate, stages: [.read])
    }

    private static func owner(_ method: String) -> GateRoute {
        GateRoute(method: method, handler: .owner, stages: [.read, .resolve, .forward])
    }

    /// Every method an IDE may call. A method not here is -32601, whatever could handle it: this
    /// table is what the route tests walk, so "which checks does X get?" has one answer.
    package static let table: [GateRoute] = [
        muxgate("initialize"), muxgate("server/discover"), muxgate("ping"),
        muxgate("tools/list"), muxgate("prompts/list"), muxgate("resources/list"), muxgate("resources/templates/list"),
        // Discovery's meta-tools are tools/calls too: `call_tool` is unwrapped at `resolve` into the
        // call it stands for and passes every stage; `search_tools` is answered by muxgate after
        // `resolve`, over the caller's own catalogue, its query recorded (`Gateway+Discovery`).
        GateRoute(method: "tools/call", handler: .tool, stages: GateStage.allCases),
        owner("prompts/get"), owner("resources/read"), owner("resources/subscribe"), owner("resources/unsubscribe"),
        owner("completion/complete"), owner("tasks/get"), owner("tasks/result"), owner("tasks/cancel"),
        // Subscriptions name URIs: each is resolved as resources/subscribe resolves it.
        GateRoute(method: "subscriptions/listen", handler: .fanOut, stages: [.read, .resolve, .forward]),
        GateRoute(method: "tasks/list", handler: .fanOut, stages: [.read, .forward]),
        GateRoute(method: "logging/setLevel", handler: .fanOut, stages: [.read, .forward]),
    ]

    private static let byMethod = Dictionary(uniqueKeysWithValues: table.map { ($0.method, $0) })

    /// The route of `method`, if an IDE may call it.
    package static func of(_ method: String) -> GateRoute? { byMethod[method] }
}

/// Who watches requests pass stages (tests of the pipeline's order); nil in service, where each
/// stage costs one nil check for it.
package struct GateTrace: Sendable {
    package let passed: @Sendable (_ stage: GateStage, _ id: [UInt8]) -> Void

    package init(_ passed: @escaping @Sendable (_ stage: GateStage, _ id: [UInt8]) -> Void) {
        self.passed = passed
    }
}
