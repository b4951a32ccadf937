import Foundation

/// Records key entries only once the artifacts they point at are durable, so that a power loss
/// can never leave a key naming an artifact whose files were still in the page cache.
///
/// Entries are written in the background, in batches, like a database's group commit: one
/// `ArtifactStore.sync` of the artifacts that have accumulated, then the entries. A task's completion never
/// waits for the disk (downstream tasks get the digest in memory); `drain()` waits for all of it
/// before the run records its state. A crash loses at most the entries of the last `window`:
/// their tasks run again next time, and the artifacts they left are unreferenced (`loom gc`).
public final class GroupCommit: @unchecked Sendable {   // `pending`, `scheduled`, `problems` under `lock`
    private let store: ArtifactStore & ActionCache
    private let queue = DispatchQueue(label: "loom.group-commit")
    private let lock = NSLock()
    private var pending: [ActionEntry] = []
    private var scheduled = false
    private var problems: [String] = []
    /// Artifacts made durable ahead of their entries (`syncAhead`), each until its entry is
    /// recorded or it is given up.
    private var ahead = Set<Digest>()

    /// How long an entry may wait for others to share its sync: what a crash can cost at most,
    /// in results that must be computed again.
    public static let window: DispatchTimeInterval = .milliseconds(20)

    public init(store: ArtifactStore & ActionCache) { self.store = store }

    /// Queues an entry whose artifact has been committed.
    public func add(_ entry: ActionEntry) {
        lock.lock()
        pending.append(entry)
        let start = !scheduled
        scheduled = true
        lock.unlock()
        // Wait a moment so that tasks finishing close together share one sync (a chain of short
        // tasks would otherwise pay a sync each); `drain()` does not wait.
        if start { queue.asyncAfter(deadline: .now() + Self.window) { self.flush() } }
    }

    /// Makes a committed artifact durable now, with the entries queued so far, before its own
    /// entry is added: a task with many inputs has them checked meanwhile (a join of 1,000:
    /// 1-2 ms of `fstatat`s, which the artifact's fsyncs, 1.5-3 ms on the bench machine, used to
    /// follow). Then `add` its entry, or `giveUp` the artifact if none will come.
    public func syncAhead(_ artifact: Digest) {
        queue.async { self.flush(ahead: artifact) }
    }

    /// The artifact of `syncAhead` will get no entry (its task failed the input check).
    public func giveUp(_ artifact: Digest) {
        queue.async {
            self.lock.lock()
            self.ahead.remove(artifact)
            self.lock.unlock()
        }
    }

    /// Waits until every queued entry is recorded; returns what went wrong (the affected tasks
    /// are simply not cached: their next run executes them again).
    public func drain() -> [String] {
        queue.sync { flush() }
        lock.lock()
        defer { problems = []; lock.unlock() }
        return problems
    }

    /// `drain()` on another thread, so the caller can do work that trusts no key entry meanwhile;
    /// `wait()` on the result returns what `drain()` would, once `then` (given the same) has run
    /// on that thread. With nothing queued it drains, and calls `then`, at once.
    public func drainInBackground(then: @escaping @Sendable ([String]) -> Void = { _ in }) -> Draining {
        lock.lock()
        let idle = pending.isEmpty
        lock.unlock()
        let d = Draining()
        let work: @Sendable () -> Void = {
            let problems = self.drain()
            then(problems)
            d.finish(problems)
        }
        if idle { work() } else { DispatchQueue.global().async(execute: work) }
        return d
    }

    /// A drain under way (`drainInBackground`).
    public final class Draining: @unchecked Sendable {   // `problems` written once, before `done` is signalled
        private let done = DispatchSemaphore(value: 0)
        private var problems: [String] = []
        fileprivate func finish(_ p: [String]) { problems = p; done.signal() }
        /// Waits for the drain; what went wrong (as `drain()`).
        public func wait() -> [String] {
            done.wait()
            done.signal()   // a second wait returns at once
            return problems
        }
    }

    /// On `queue`: syncs the queued entries' artifacts (those not synced ahead) and `ahead`, then
    /// records the entries.
    private func flush(ahead early: Digest? = nil) {
        lock.lock()
        let batch = pending
        pending = []
        scheduled = false
        // An artifact synced ahead counts once: evicted and committed again later in the run,
        // its files are new and are synced again.
        let already = Set(batch.map(\.artifact).filter { ahead.remove($0) != nil })
        lock.unlock()
        // Its entry already queued (added before this ran): synced as one of the batch.
        let early = early.flatMap { e in batch.contains { $0.artifact == e } ? nil : e }
        guard !batch.isEmpty || early != nil else { return }
        var failed: [String] = []
        do {
            var toSync: [Digest] = []
            var seen = Set<Digest>()
            for d in batch.map(\.artifact) + (early.map { [$0] } ?? []) where !already.contains(d) && seen.insert(d).inserted { toSync.append(d) }
            if !toSync.isEmpty { try store.sync(toSync) }
            if let early {
                lock.lock()
                ahead.insert(early)
                lock.unlock()
            }
            for e in batch {
                do { try store.record(e) } catch { failed.append("cannot record key \(e.key.short): \(error)") }
            }
        } catch {
            // The artifact synced ahead is not known durable: its entry's flush syncs it again.
            if !batch.isEmpty { failed.append("\(batch.count) results are not cached: \(error)") }
        }
        guard !failed.isEmpty else { return }
        lock.lock()
        problems += failed
        lock.unlock()
    }
}
