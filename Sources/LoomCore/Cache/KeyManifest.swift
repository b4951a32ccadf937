/// Everything that can change a task's output. Its canonical encoding is hashed into the task's
/// `CacheKey`; the manifest itself is stored beside the key so that staleness can be explained
/// field by field.
///
/// Canonical encoding, schema 2 (length-prefixed fields, see `CanonicalEncoder`), in this order:
/// `schema`, `kind`, `kind-version`, then counted groups `params` (name, canonical value),
/// `inputs` (needed task name, artifact digest), `files` (path, content digest), `env` (name, value),
/// `outputs` (declared output paths), each sorted by name in byte order, then `command` if any.
/// Paths are relative to the project root: nothing unique to one run or machine enters a key.
/// Schema 2: a built-in task's `params` are every declared param with its default applied (unset
/// ones `null`, floats declared as floats), not only those written, except a param added later
/// while it holds its `ParamSpec.legacy` value (so adding it left existing keys alone); its `files`
/// include the project files its params name. (Schema 1 keyed params as written.)
public struct KeyManifest: Equatable, Sendable {
    public static let schemaVersion = 2

    public var kind: String
    public var kindVersion: Int
    public var params: [String: ParamValue]
    public var inputs: [String: Digest]
    public var files: [String: Digest]
    public var env: [String: String]
    public var outputs: [String]
    public var command: String?

    public init(kind: String, kindVersion: Int, params: [String: ParamValue] = [:], inputs: [String: Digest] = [:],
                files: [String: Digest] = [:], env: [String: String] = [:], outputs: [String] = [], command: String? = nil) {
        self.kind = kind
        self.kindVersion = kindVersion
        self.params = params
        self.inputs = inputs
        self.files = files
        self.env = env
        self.outputs = outputs
        self.command = command
    }

    public var canonicalBytes: [UInt8] {
        var e = CanonicalEncoder()
        e.field("schema", String(Self.schemaVersion))
        e.field("kind", kind)
        e.field("kind-version", String(kindVersion))
        func group<V>(_ tag: String, _ d: [String: V], _ text: (V) -> String) {
            e.count(tag, d.count)
            for (k, v) in JSON.sortedByBytes(d) { e.field("name", k); e.field("value", text(v)) }
        }
        func digests(_ tag: String, _ d: [String: Digest]) {
            e.count(tag, d.count)
            for (k, v) in JSON.sortedByBytes(d) { e.field("name", k); e.field("value", hexOf: v) }
        }
        group("params", params) { $0.canonical }
        digests("inputs", inputs)
        digests("files", files)
        group("env", env) { $0 }
        e.count("outputs", outputs.count)
        for o in JSON.sortedByBytes(outputs) { e.field("path", o) }
        if let command { e.field("command", command) }
        return e.bytes
    }

    public var key: CacheKey { CacheKey(Digest(of: canonicalBytes)) }

    /// The manifest as stable JSON (stored with the key entry and in run records).
    public var json: JSON {
        var o: [String: JSON] = [
            "schema": .int(Self.schemaVersion),
            "kind": .string(kind),
            "kindVersion": .int(kindVersion),
            "params": .object(params.mapValues { .string($0.canonical) }),
            "paramValues": .object(params.mapValues(\.json)),
            "inputs": .object(inputs.mapValues { .string($0.hex) }),
            "files": .object(files.mapValues { .string($0.hex) }),
            "env": .object(env.mapValues { .string($0) }),
            "outputs": .array(outputs.map { .string($0) }),
        ]
        if let command { o["command"] = .string(command) }
        return .object(o)
    }

    /// Writes the bytes `json` encodes to, without building the tree (a join's manifest has 1,000
    /// inputs, written into its key entry and the run record).
    public func write(_ w: inout JSONWriter) {
        w.openObject()
        if let command { w.field("command", command) }
        w.key("env")
        w.openObject()
        for (k, v) in JSON.sortedByBytes(env) { w.key(string: k); w.string(v) }
        w.closeObject()
        func digests(_ d: [String: Digest]) {
            w.openObject()
            for (k, v) in JSON.sortedByBytes(d) { w.key(string: k); w.digest(v) }
            w.closeObject()
        }
        w.key("files")
        digests(files)
        w.key("inputs")
        digests(inputs)
        w.field("kind", kind)
        w.field("kindVersion", kindVersion)
        w.field("outputs", strings: outputs)
        let sorted = JSON.sortedByBytes(params)
        w.key("paramValues")
        w.openObject()
        for (k, v) in sorted { w.key(string: k); w.value(v.json) }
        w.closeObject()
        w.key("params")
        w.openObject()
        for (k, v) in sorted { w.key(string: k); w.string(v.canonical) }
        w.closeObject()
        w.field("schema", Self.schemaVersion)
        w.closeObject()
    }

    /// Reads a manifest written by `json`; nil if it is not one (another schema, damaged).
    public init?(json: JSON) {
        guard json["schema"]?.int == Self.schemaVersion, let kind = json["kind"]?.string,
              let kv = json["kindVersion"]?.int else { return nil }
        self.kind = kind
        self.kindVersion = kv
        params = (json["paramValues"]?.object ?? [:]).mapValues(ParamValue.init(json:))
        var ins: [String: Digest] = [:]
        for (k, v) in json["inputs"]?.object ?? [:] { guard let d = v.string.flatMap(Digest.init(hex:)) else { return nil }; ins[k] = d }
        inputs = ins
        var fs: [String: Digest] = [:]
        for (k, v) in json["files"]?.object ?? [:] { guard let d = v.string.flatMap(Digest.init(hex:)) else { return nil }; fs[k] = d }
        files = fs
        env = (json["env"]?.object ?? [:]).compactMapValues(\.string)
        outputs = (json["outputs"]?.array ?? []).compactMap(\.string)
        command = json["command"]?.string
    }
}
