import Foundation

/// The single owner of concurrency: a serial queue owns the `Plan`, at most `jobs` tasks run at
/// once, and completions are posted back to the queue. What "running a task" means (a cache hit,
/// a process, a remote job) is the `start` closure's business.
public final class Scheduler: @unchecked Sendable {   // every var is touched only on `queue`
    /// Called on the scheduler's queue for each task taken from the plan; must call `done` exactly
    /// once, from any thread, with whether the task succeeded. It should not block for long.
    public typealias Start = @Sendable (_ task: Int, _ done: @escaping @Sendable (Bool) -> Void) -> Void

    private let queue = DispatchQueue(label: "loom.scheduler")
    private var plan: Plan
    private let jobs: Int
    private let keepGoing: Bool
    private var running = 0
    private var stopping = false
    private var start: Start?
    private let finished = DispatchSemaphore(value: 0)
    /// The most tasks that were running at the same moment (for tests and `-v`).
    public private(set) var peakRunning = 0

    public init(plan: Plan, jobs: Int, keepGoing: Bool) {
        self.plan = plan
        self.jobs = max(1, jobs)
        self.keepGoing = keepGoing
    }

    /// Runs the plan to the end and returns it with every outcome. Blocks the calling thread.
    public func run(_ start: @escaping Start) -> Plan {
        queue.async {
            self.start = start
            self.pump()
        }
        finished.wait()
        return queue.sync { plan }
    }

    /// Runs `work` on the scheduler's queue, the owner of a run's state (completions, retries).
    public func async(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }

    /// Runs `work` on the scheduler's queue after `seconds`.
    public func async(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        queue.asyncAfter(deadline: .now() + seconds, execute: work)
    }

    /// Reads state owned by the queue from outside it (never call it on the queue).
    public func sync<T>(_ read: () -> T) -> T { queue.sync(execute: read) }

    /// Stops starting tasks; those running finish (the caller cancels them if it wants).
    public func stop() {
        queue.async {
            self.stopping = true
            self.plan.skipUnstarted()
            self.checkFinished()
        }
    }

    /// One call of `start`: whether it has returned, and a result reported before it did.
    private final class Call: @unchecked Sendable {   // both vars under `lock`
        let lock = NSLock()
        var returned = false
        var result: Bool?
    }

    private func pump() {
        while !stopping && running < jobs, let i = plan.takeReady() {
            running += 1
            peakRunning = max(peakRunning, running)
            let call = Call()
            start?(i) { ok in
                call.lock.lock()
                if !call.returned {
                    call.result = ok
                    call.lock.unlock()
                    return
                }
                call.lock.unlock()
                self.queue.async { self.complete(i, ok) }
            }
            call.lock.lock()
            call.returned = true
            let result = call.result
            call.lock.unlock()
            // Finished before `start` returned (a cache hit): handled here rather than with one
            // queue hop per task, which a no-op run of a thousand tasks would notice.
            if let result { record(i, result) }
        }
        checkFinished()
    }

    private func complete(_ i: Int, _ ok: Bool) {
        record(i, ok)
        pump()
    }

    private func record(_ i: Int, _ ok: Bool) {
        running -= 1
        plan.finish(i, succeeded: ok)
        if !ok && !keepGoing && !stopping {
            stopping = true
            plan.skipUnstarted()
        }
    }

    private var signalled = false
    private func checkFinished() {
        if running == 0 && !plan.hasReady && !signalled {
            signalled = true
            if !plan.isFinished { plan.skipUnstarted() }
            finished.signal()
        }
    }
}
