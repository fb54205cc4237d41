import MuxgateConfig
import MuxgateWire

/// A child's tool as muxgate exposes it, before namespacing.
package struct ShapedTool: Sendable {
    /// The name the child gave the tool: what muxgate calls it by.
    package let childName: String
    /// The name after `rename` (equal to `childName` when not renamed), before namespacing.
    package let name: String
    /// The child's tool object with only the necessary spans changed; the child's bytes when nothing changed.
    package let definition: [UInt8]

    package init(childName: String, name: String, definition: [UInt8]) {
        self.childName = childName
        self.name = name
        self.definition = definition
    }
}
