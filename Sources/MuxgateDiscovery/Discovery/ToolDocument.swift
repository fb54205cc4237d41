/// What the discovery index knows of one tool: the text it is found by.
///
/// Built by the caller from a tool definition (`name`, `title`, `description`, the properties of
/// `inputSchema`) and its server (`name`, `instructions`). `id` is what a search returns: any
/// string unique across the index (the gateway's exposed name, say).
package struct ToolDocument: Sendable, Hashable {
    /// One argument of the tool: its name and description from `inputSchema.properties`.
    package struct Parameter: Sendable, Hashable {
        package var name: String
        package var description: String

        package init(name: String, description: String = "") {
            self.name = name
            self.description = description
        }
    }

    package var id: String
    package var server: String
    package var name: String
    package var title: String
    package var description: String
    package var parameters: [Parameter]
    package var serverInstructions: String

    package init(
        id: String,
        server: String,
        name: String,
        title: String = "",
        description: String = "",
        parameters: [Parameter] = [],
        serverInstructions: String = ""
    ) {
        self.id = id
        self.server = server
        self.name = name
        self.title = title
        self.description = description
        self.parameters = parameters
        self.serverInstructions = serverInstructions
    }

    /// The text the embedding model reads: the server, the name in words, the title, the
    /// description and the parameters, in that order (the model reads its first 256 pieces).
    ///
    /// Server instructions are left out: they are the same for every tool of a server, so they
    /// would pull its tools' vectors together without telling them apart; BM25 indexes them.
    package var embeddingText: String {
        var text = TextAnalyzer.words(ofIdentifier: server) + ": " + TextAnalyzer.words(ofIdentifier: name)
        if !title.isEmpty { text += ". " + title }
        let trimmed = description.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if !trimmed.isEmpty { text += ". " + trimmed }
        if !parameters.isEmpty {
            text += " Parameters: "
            text += parameters.map { parameter in
                let words = TextAnalyzer.words(ofIdentifier: parameter.name)
                let about = parameter.description.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                return about.isEmpty ? words : words + " (" + about + ")"
            }.joined(separator: "; ")
        }
        return text
    }
}
