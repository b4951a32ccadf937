import Foundation
import Synchronization

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
public final class RunPrelude: @unchecked Sendable {   // each of the four parts is written by one of the two jobs, read after `ready`
    /// Held from `start` until the run's end (`Engine.run` releases it) or `release()`.
    public let lock: ProjectLock
    public let store: LocalStore
    let dagName: String
    private let ready = DispatchGroup()
    private var memo: NoopMemo?
    private var held: [Int: Bool] = [:]
    private var state = BuildState()
    private var unchanged: [String: Digest] = [:]
    private let sealing = SealHandoff()

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
        // Two jobs, started together, each on a thread of its own (`DetachedThread`: pool
        // threads started 60-80 us later): the state and the stat cache on one; the memo, then
        // its seals, on the other. The seals are checked in chunks taken from a counter by that
        // thread, by the first one once its job is done, and by the thread that waits for them
        // (`wait`, once its graph is loaded): no thread sleeps while chunks are left.
        p.ready.enter()
        DetachedThread.start {
            p.state = BuildState.parse((try? FileSystem.readBytes(statePath)) ?? [], path: statePath)
            p.unchanged = StatCache(path: project.storeRoot + "/statcache").unchanged(root: project.root)
            p.sealing.ifOpen { $0?.work() }
            p.ready.leave()
        }
        p.ready.enter()
        DetachedThread.start {
            defer { p.ready.leave() }
            let memo = NoopMemo.load(memoPath)
            p.memo = memo
            guard checkSeals, let memo, !memo.entries.isEmpty else {
                p.sealing.open(nil)
                return
            }
            let seals = SealChecks(memo: memo, store: store)
            p.sealing.open(seals)
            seals.work()
            p.held = seals.results()
        }
        return p
    }

    private init(lock: ProjectLock, store: LocalStore, dagName: String) {
        self.lock = lock
        self.store = store
        self.dagName = dagName
    }

    /// The reads, once done; this thread checks seals meanwhile if any are left.
    func wait() -> Results {
        sealing.wait()?.work()
        ready.wait()
        return Results(memo: memo, held: held, state: state, unchanged: unchanged)
    }

    /// Drops the lock once the reads are over (when the run never reached `Engine.run`).
    public func release() {
        ready.wait()
        lock.release()
    }
}

/// The memo's seal checks, in chunks that any thread can take (`RunPrelude`).
final class SealChecks: @unchecked Sendable {   // each slot of `held` is written by its chunk's taker, read after `finished`
    private let memo: NoopMemo
    private let store: LocalStore
    private let indices: [Int]
    private let held: Slots<Bool>
    private let chunk = 32, chunks: Int
    private let next = Atomic<Int>(0), done = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    init(memo: NoopMemo, store: LocalStore) {
        self.memo = memo
        self.store = store
        indices = NoopMemo.ascending(memo.entries.keys)
        held = Slots<Bool>(count: indices.count)
        chunks = (indices.count + chunk - 1) / chunk
    }

    /// Checks chunks until none is left to take.
    func work() {
        while true {
            let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard c < chunks else { return }
            for k in (c * chunk)..<min(indices.count, (c + 1) * chunk) { held[k] = memo.entries[indices[k]]?.seal.holds(in: store) }
            if done.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == chunks { finished.signal() }
        }
    }

    /// Node index -> whether its entry's seal held, once every chunk is checked (waits for chunks
    /// other threads took).
    func results() -> [Int: Bool] {
        finished.wait()
        finished.signal()
        var byNode: [Int: Bool] = [:]
        byNode.reserveCapacity(indices.count)
        for (k, i) in indices.enumerated() { byNode[i] = held[k] ?? false }
        return byNode
    }
}

/// The seal checks handed from the thread that read the memo to the others, once (nil when there
/// are none): `open` sets them, `wait` blocks until then, `ifOpen` runs only if they are set
/// already. Not generic: a generic class's metadata is built on first use (0.1 ms here).
final class SealHandoff: @unchecked Sendable {   // `checks` is written once, before `opened` is signalled; read after
    private var checks: SealChecks?
    private let opened = DispatchSemaphore(value: 0)
    private let isOpen = Atomic<Bool>(false)

    func open(_ c: SealChecks?) {
        checks = c
        isOpen.store(true, ordering: .releasing)
        opened.signal()
    }

    func wait() -> SealChecks? {
        opened.wait()
        opened.signal()
        return checks
    }

    func ifOpen(_ body: (SealChecks?) -> Void) {
        if isOpen.load(ordering: .acquiring) { body(checks) }
    }
}
