import Foundation

/// What `loom run` does while its DAG loads: it takes the project lock first (only if it is free
/// at once), then, on other threads, reads the no-op memo, checks its entries' seals, reads the
/// build state and stats the declared files the stat cache remembers: work that needs the DAG's
/// name but not its graph. On a no-op run of 1,000 tasks that is the 2,000 `fstatat`s of the
/// seals and the state's parse, which otherwise came after the graph, on the critical path.
///
/// Everything in the store is read under the lock, as `DependencyScan` would read it, so nothing
/// can have changed it by the time the scan uses it (a declared file is a project file, which can
/// change at any time: statted here, a few milliseconds before the scan would, it is in the same
/// race with an editor as it is there); the scan still checks that the memo is the graph's
/// (`NoopMemo.graph`) and that the DAG is the one named. A lock that is busy makes no prelude:
/// the run loads its graph, then waits or fails as before (with the holder named).
public final class RunPrelude: @unchecked Sendable {   // `results` is written once on the worker, read after `ready`
    /// Held from `start` until the run's end (`Engine.run` releases it) or `release()`.
    public let lock: ProjectLock
    public let store: LocalStore
    let dagName: String
    private let ready = DispatchGroup()
    private var results: Results?

    public struct Results: Sendable {
        var memo: NoopMemo?
        /// Node index -> whether that memo entry's seal held (empty when not checked).
        var held: [Int: Bool]
        var state: BuildState
        /// Declared files (stat cache keys) as the stat cache remembers them (`StatCache.unchanged`).
        var unchanged: [String: Digest]
    }

    /// Takes the lock and starts the reads; nil when the lock is not free now or the store cannot
    /// be opened. `checkSeals`: check every memo entry's seal (a run of the whole DAG; a run of
    /// a few targets leaves it to the scan, which checks only theirs).
    public static func start(project: Project, dagName: String, command: String, checkSeals: Bool) -> RunPrelude? {
        let lock = ProjectLock(path: project.storeRoot + "/lock")
        guard lock.tryAcquire(command: command) else { return nil }
        guard let store = try? LocalStore(root: project.storeRoot) else {
            lock.release()
            return nil
        }
        let p = RunPrelude(lock: lock, store: store, dagName: dagName)
        let statePath = BuildState.path(storeRoot: project.storeRoot, dag: dagName)
        let memoPath = NoopMemo.path(storeRoot: project.storeRoot, dag: dagName)
        DispatchQueue.global().async(group: p.ready) {
            let memo = NoopMemo.load(memoPath)
            let indices = checkSeals ? (memo?.entries.keys.sorted() ?? []) : []
            let held = Slots<Bool>(count: indices.count)
            let state = Slots<BuildState>(count: 1)
            let unchanged = Slots<[String: Digest]>(count: 1)
            // Iteration 0 reads the state, 1 stats the declared files the stat cache knows, the
            // others check seals in chunks, this thread taking part: no pool thread waits for
            // another (one that waited for the seals had left all of them to one other thread,
            // 3 ms on a no-op of 1,000 tasks).
            let chunk = 64, chunks = (indices.count + chunk - 1) / chunk
            DispatchQueue.concurrentPerform(iterations: chunks + 2) { c in
                switch c {
                case 0: state[0] = BuildState.parse((try? FileSystem.readBytes(statePath)) ?? [], path: statePath)
                case 1: unchanged[0] = StatCache(path: project.storeRoot + "/statcache").unchanged(root: project.root)
                default:
                    guard let memo else { return }
                    for k in ((c - 2) * chunk)..<min(indices.count, (c - 1) * chunk) { held[k] = memo.entries[indices[k]]?.seal.holds(in: store) }
                }
            }
            var sealHeld: [Int: Bool] = [:]
            sealHeld.reserveCapacity(indices.count)
            for (k, i) in indices.enumerated() { sealHeld[i] = held[k] ?? false }
            p.results = Results(memo: memo, held: sealHeld, state: state[0] ?? BuildState(), unchanged: unchanged[0] ?? [:])
        }
        return p
    }

    private init(lock: ProjectLock, store: LocalStore, dagName: String) {
        self.lock = lock
        self.store = store
        self.dagName = dagName
    }

    /// The reads, once done.
    func wait() -> Results {
        ready.wait()
        return results!
    }

    /// Drops the lock once the reads are over (when the run never reached `Engine.run`).
    public func release() {
        ready.wait()
        lock.release()
    }
}
