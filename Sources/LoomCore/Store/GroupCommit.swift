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

    private func flush() {
        lock.lock()
        let batch = pending
        pending = []
        scheduled = false
        lock.unlock()
        guard !batch.isEmpty else { return }
        var failed: [String] = []
        do {
            try store.sync(batch.map(\.artifact))
            for e in batch {
                do { try store.record(e) } catch { failed.append("cannot record key \(e.key.short): \(error)") }
            }
        } catch {
            failed.append("\(batch.count) results are not cached: \(error)")
        }
        guard !failed.isEmpty else { return }
        lock.lock()
        problems += failed
        lock.unlock()
    }
}
