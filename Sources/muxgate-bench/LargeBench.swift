import Foundation
import MuxgateTesting

/// Scenario 4: 64 KiB and 4 MiB arguments echoed back as results, direct, through the C byte
/// relay (the floor) and through muxgate with audit off and on its default configuration.
func largeBench() async throws {
    var rows: [String] = []
    // The default configuration: audit on, echo unannotated (destructive: its decision durable).
    let defaultPath = work + "/muxgate-default.yaml"
    try """
    servers:
      fx:
        command: \(fixture)
        args: [--name, fx]
    audit: { path: \(work)/audit-default.jsonl }
    """.write(toFile: defaultPath, atomically: true, encoding: .utf8)
    for (label, bytes, count) in [("64 KiB", 64 << 10, 300), ("4 MiB", 4 << 20, 20)] {
        let arguments = #"{"blob":""# + String(repeating: "x", count: bytes) + #""}"#
        let direct = try await connect(fixture, ["--name", "fx"])
        let baseline = try await measure(direct, tool: "echo", count: count, warmUp: 5, arguments: arguments)
        direct.terminate()
        let floor = try await connect(binaries + "/muxgate-relay", [fixture, "--name", "fx"])
        let relayed = try await measure(floor, tool: "echo", count: count, warmUp: 5, arguments: arguments)
        floor.closeInput()
        _ = await floor.waitForExit()
        var overheads: [Double] = []
        for path in [try config(audit: false), defaultPath] {
            let proxy = try await connect(muxgate, ["serve", "--config", path])
            let samples = try await measure(proxy, tool: "fx_echo", count: count, warmUp: 5, arguments: arguments)
            proxy.closeInput()
            _ = await proxy.waitForExit()
            overheads.append(percentile(samples, 0.5) - percentile(baseline, 0.5))
        }
        let floorOverhead = percentile(relayed, 0.5) - percentile(baseline, 0.5)
        rows.append(
            String(
                format: "| %@ | %.0f | %+.0f | %+.0f (relay %+.0f) | %+.0f (relay %+.0f) |",
                label,
                percentile(baseline, 0.5),
                floorOverhead,
                overheads[0],
                overheads[0] - floorOverhead,
                overheads[1],
                overheads[1] - floorOverhead
            )
        )
    }
    printTable(
        "4. Large arguments and results (echo: the result carries the argument back), p50 µs over direct:",
        "| size each way | direct p50 | the floor: C byte relay | muxgate, audit off | muxgate, default config (audit on, durable) |",
        rows
    )
}
