package import Foundation
import Synchronization

/// Tool vectors on disk, keyed by a keyed hash of the text they embed, so a restart embeds only
/// what changed.
///
/// The file: `MXVC0001`, the vectors' width (UInt32), the embedder's identity (UInt32 length +
/// UTF-8), the SipHash key (two UInt64), an FNV-1a check of all that (UInt64); then records of
/// key (UInt64), scale (Float32), `dimension` Int8 values and an FNV-1a check of the record
/// (UInt32), all little-endian. A file whose header does not check or names another embedder is
/// replaced by an empty one with a new key; the records are read up to the first that does not
/// check or is cut short, and the file is rewritten with the good ones. A record is never used
/// unless its check holds and its scale is a positive finite number.
package final class EmbeddingCache: Sendable {
    package let url: URL
    package let identity: String
    package let dimension: Int
    /// The key every text is hashed with (the file's own; random for a new file).
    package let key: SipHash
    /// What loading found: how many records were read, and why the rest (or the file) was dropped.
    package let loaded: Int
    package let discarded: String?

    private struct State {
        var vectors: [UInt64: StoredVector]
        var onDisk: Set<UInt64>
        var handle: FileHandle?
    }

    private let state: Mutex<State>

    private static let magic = Array("MXVC0001".utf8)
    /// Past this many records the file is rewritten with the vectors of the tools in use.
    package static let compactionThreshold = 50_000

    /// Opens (or creates) the cache at `url` for vectors of `embedder`.
    ///
    /// - Throws: `DiscoveryError` (`.cacheUnwritable`) when the file cannot be created.
    package init(url: URL, identity: String, dimension: Int) throws {
        self.url = url
        self.identity = identity
        self.dimension = dimension
        let existed = FileManager.default.fileExists(atPath: url.path)
        let parsed = Self.read(url: url, identity: identity, dimension: dimension)
        var key = parsed.key
        var vectors = parsed.vectors
        var discarded = parsed.problem
        if parsed.key == nil || parsed.problem != nil {
            key = key ?? SipHash.random()
            if parsed.key == nil { vectors = [:] }
            try Self.rewrite(url: url, identity: identity, dimension: dimension, key: key!, vectors: vectors)
        }
        if parsed.key == nil, discarded == nil, existed {
            discarded = "unreadable file"
        }
        self.key = key!
        self.loaded = vectors.count
        self.discarded = discarded
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw DiscoveryError(.cacheUnwritable, path: url.path, "cannot open for appending: \(error)")
        }
        state = Mutex(State(vectors: vectors, onDisk: Set(vectors.keys), handle: handle))
    }

    deinit {
        state.withLock { try? $0.handle?.close() }
    }

    /// The cached vector for a text's key, if any.
    package func vector(for key: UInt64) -> StoredVector? {
        state.withLock { $0.vectors[key] }
    }

    /// Forgets the in-memory copy of vectors the index now holds itself (they stay on disk).
    package func release(_ keys: some Sequence<UInt64>) {
        state.withLock { state in
            for key in keys { state.vectors[key] = nil }
        }
    }

    /// Appends vectors not yet on disk. A failed write is reported and stops further writes (the
    /// cache only saves work; the index goes on without it).
    ///
    /// - Throws: `DiscoveryError` (`.cacheUnwritable`).
    package func store(_ entries: [(key: UInt64, vector: StoredVector)]) throws {
        try state.withLock { state in
            guard let handle = state.handle else { return }
            var bytes: [UInt8] = []
            for (key, vector) in entries where !state.onDisk.contains(key) && vector.values.count == dimension {
                bytes.append(contentsOf: Self.record(key: key, vector: vector))
                state.onDisk.insert(key)
            }
            guard !bytes.isEmpty else { return }
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                state.handle = nil
                throw DiscoveryError(.cacheUnwritable, path: url.path, "append failed, cache writes stop: \(error)")
            }
        }
    }

    /// How many records the file holds.
    package var recordCount: Int { state.withLock { $0.onDisk.count } }

    // MARK: - Format

    static func header(identity: String, dimension: Int, key: SipHash) -> [UInt8] {
        var bytes = magic
        append(UInt32(dimension), to: &bytes)
        let name = Array(identity.utf8)
        append(UInt32(name.count), to: &bytes)
        bytes += name
        append(key.k0, to: &bytes)
        append(key.k1, to: &bytes)
        append(fnv64(bytes), to: &bytes)
        return bytes
    }

    static func record(key: UInt64, vector: StoredVector) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + vector.values.count)
        append(key, to: &bytes)
        append(vector.scale.bitPattern, to: &bytes)
        for value in vector.values { bytes.append(UInt8(bitPattern: value)) }
        append(UInt32(truncatingIfNeeded: fnv64(bytes)), to: &bytes)
        return bytes
    }

    private static func read(
        url: URL,
        identity: String,
        dimension: Int
    ) -> (key: SipHash?, vectors: [UInt64: StoredVector], problem: String?) {
        guard let data = try? Data(contentsOf: url) else { return (nil, [:], nil) }
        let bytes = [UInt8](data)
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        guard let magic = take(8), Array(magic) == Self.magic, let width = take(4).map(Self.uint32),
            Int(width) == dimension, let nameLength = take(4).map(Self.uint32), nameLength < 4096,
            let name = take(Int(nameLength)), String(decoding: name, as: UTF8.self) == identity,
            let k0 = take(8).map(Self.uint64), let k1 = take(8).map(Self.uint64)
        else { return (nil, [:], "header of another format, width or model") }
        let headerEnd = offset
        guard let check = take(8).map(Self.uint64), check == fnv64(bytes[0..<headerEnd]) else {
            return (nil, [:], "header check failed")
        }
        let key = SipHash(k0: k0, k1: k1)
        var vectors: [UInt64: StoredVector] = [:]
        let recordLength = 8 + 4 + dimension + 4
        while offset < bytes.count {
            guard offset + recordLength <= bytes.count else {
                return (key, vectors, "record \(vectors.count) cut short")
            }
            let body = bytes[offset..<(offset + recordLength - 4)]
            let stored = uint32(bytes[(offset + recordLength - 4)..<(offset + recordLength)])
            guard stored == UInt32(truncatingIfNeeded: fnv64(body)) else {
                return (key, vectors, "record \(vectors.count) fails its check")
            }
            let hash = uint64(body.prefix(8))
            let scale = Float(bitPattern: uint32(body.dropFirst(8).prefix(4)))
            guard scale.isFinite, scale > 0 else { return (key, vectors, "record \(vectors.count) has scale \(scale)") }
            vectors[hash] = StoredVector(values: body.dropFirst(12).map { Int8(bitPattern: $0) }, scale: scale)
            offset += recordLength
        }
        return (key, vectors, nil)
    }

    private static func rewrite(
        url: URL,
        identity: String,
        dimension: Int,
        key: SipHash,
        vectors: [UInt64: StoredVector]
    ) throws {
        var bytes = header(identity: identity, dimension: dimension, key: key)
        for (hash, vector) in vectors.sorted(by: { $0.key < $1.key }) {
            bytes += record(key: hash, vector: vector)
        }
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw DiscoveryError(.cacheUnwritable, path: url.path, "cannot write: \(error)")
        }
    }

    /// Rewrites the file with only `keys`' vectors when it holds more than `compactionThreshold` records.
    package func compact(keeping keys: Set<UInt64>, vectors: (UInt64) -> StoredVector?) throws {
        let count = recordCount
        guard count > Self.compactionThreshold else { return }
        var kept: [UInt64: StoredVector] = [:]
        for key in keys { if let vector = vectors(key) { kept[key] = vector } }
        try state.withLock { state in
            try? state.handle?.close()
            try Self.rewrite(url: url, identity: identity, dimension: dimension, key: key, vectors: kept)
            state.onDisk = Set(kept.keys)
            state.handle = try? FileHandle(forWritingTo: url)
            _ = try? state.handle?.seekToEnd()
        }
    }

    // MARK: - Bytes

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func uint32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func uint64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func fnv64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
