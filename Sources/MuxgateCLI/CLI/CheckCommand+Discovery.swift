import Foundation
import MuxgateConfig
import MuxgateRouting

extension CheckCommand {
    /// What discovery will search with: the model file it found, or why it will rank by words alone.
    /// A `discovery.model` that cannot be found is a problem; a missing default model is a warning.
    static func discoveryReport(_ config: MuxgateConfig) -> (lines: [String], problems: Int) {
        guard config.discovery.isUsed else { return ([], 0) }
        let modes =
            [config.discovery.settings.mode.rawValue]
            + config.discovery.profiles.keys.sorted().map { "\($0): \(config.discovery.profiles[$0]!.mode.rawValue)" }
        var lines = ["discovery: \(modes.joined(separator: ", "))"]
        let candidates = ToolDiscovery.modelCandidates(config)
        if let model = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            lines.append("    model: \(model.path)")
            return (lines, 0)
        }
        let looked = candidates.map(\.path).joined(separator: ", ")
        if config.discovery.model != nil {
            lines.append("    ✗ discovery.model: no file at \(looked)")
            return (lines, 1)
        }
        lines.append(
            "    ⚠ no model file (looked at \(looked)): search ranks by words alone (BM25); `make model` makes it"
        )
        return (lines, 0)
    }
}
