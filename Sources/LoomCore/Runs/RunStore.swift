/// Run records under `experiments/`: one directory per run, `run.json` plus `logs/<task>.log`.
public struct RunStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func directory(_ id: RunID) -> String { "\(root)/\(id.value)" }
    public func logPath(_ id: RunID, task: String) -> String { "\(directory(id))/logs/\(task).log" }

    public func create(_ id: RunID) throws {
        try FileSystem.makeDirectories(directory(id) + "/logs")
    }

    public func save(_ r: RunRecord) throws {
        try FileSystem.writeAtomically(directory(r.id) + "/run.json", r.json.encoded(pretty: true) + "\n")
    }

    /// Every run id, oldest first.
    public func ids() -> [RunID] {
        ((try? FileSystem.listDirectory(root)) ?? []).filter { FileSystem.exists("\(root)/\($0)/run.json") }.map(RunID.init).sorted()
    }

    public func load(_ id: RunID) throws -> RunRecord {
        let path = directory(id) + "/run.json"
        guard let r = RunRecord(json: try JSON.parse(FileSystem.readBytes(path))) else {
            throw InternalError("\(path) is not a loom run record")
        }
        return r
    }
}
