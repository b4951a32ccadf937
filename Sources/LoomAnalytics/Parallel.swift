import Foundation

/// How many threads the numeric code of this process may use at once, and the one way it runs
/// work in parallel. Work is always split into the same chunks and reduced in chunk order, so a
/// limit changes how many chunks run at once, never a result.
///
/// The limit is process-wide: a built-in task runs in its own process (`loom exec-builtin`), whose
/// kind sets it from the task's `resources: cpus` before fitting. Guarded by `lock`.
public enum Parallel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var limit: Int?

    /// The current limit; nil means every core.
    public static var threads: Int? {
        lock.lock(); defer { lock.unlock() }
        return limit
    }

    /// Runs `body` with at most `threads` threads for the numeric code (nil: every core), then
    /// restores the previous limit.
    public static func limited<T>(to threads: Int?, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        let previous = limit
        limit = threads.map { max(1, $0) }
        lock.unlock()
        defer { lock.lock(); limit = previous; lock.unlock() }
        return try body()
    }

    /// Calls `body(i)` for every i in 0..<iterations, on at most `threads` threads at once: with a
    /// limit, worker w takes iterations w, w + limit, w + 2 limit, ...
    public static func perform(iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        guard let limit = threads, limit < iterations else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
            return
        }
        if limit == 1 {
            for i in 0..<iterations { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: limit) { w in
            var i = w
            while i < iterations {
                body(i)
                i += limit
            }
        }
    }
}
