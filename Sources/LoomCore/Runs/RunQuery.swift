/// Finds runs by reference: an id, a unique id prefix, a run name (the newest run with it),
/// `last`, or `last~N` (the N-th run before the last). Optionally only runs of one DAG.
public struct RunQuery {
    public let store: RunStore

    public init(store: RunStore) { self.store = store }

    public enum Problem: Error, CustomStringConvertible, Sendable {
        case none(String)
        case ambiguous(String, [String])
        public var description: String {
            switch self {
            case .none(let r): return "no run matches '\(r)'"
            case let .ambiguous(r, ids): return "'\(r)' matches \(ids.count) runs (\(ids.prefix(4).joined(separator: ", "))...); give more of the id"
            }
        }
    }

    /// Resolves a reference among `records` (oldest first).
    public func resolve(_ ref: String, in records: [RunSummary]) throws -> RunSummary {
        if ref == "last" || ref.hasPrefix("last~") {
            let back = ref == "last" ? 0 : Int(ref.dropFirst(5)) ?? -1
            guard back >= 0, back < records.count else { throw Problem.none(ref) }
            return records[records.count - 1 - back]
        }
        if let exact = records.first(where: { $0.id.value == ref }) { return exact }
        if let named = records.last(where: { $0.name == ref }) { return named }
        let prefixed = records.filter { $0.id.value.hasPrefix(ref) }
        if prefixed.count == 1 { return prefixed[0] }
        if prefixed.isEmpty { throw Problem.none(ref) }
        throw Problem.ambiguous(ref, prefixed.map(\.id.value))
    }

    /// Every run (as summaries: see `RunStore`), oldest first, optionally of one DAG (by its short
    /// name or path).
    public func all(dag: String? = nil) -> [RunSummary] {
        let records = store.summaries()
        guard let dag else { return records }
        let name = GraphBuilder.dagName(dag)
        return records.filter { $0.dagName == name || $0.dagPath == dag }
    }
}
