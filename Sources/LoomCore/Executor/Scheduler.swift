import Foundation

/// The single owner of concurrency: a serial queue owns the `Plan`, at most `jobs` tokens are
/// in use at once, and completions are posted back to the queue. What "running a task" means (a
/// cache hit, a process, a remote job) is the `start` closure's business.
///
/// A task takes one token, or its `Demand` when one is given (the local runner: `resources.cpus`
/// tokens of `-j`, and `resources.memory` out of a memory budget). Demands are clamped to what
/// there is (a task asking for 8 cpus under `-j 2` takes both), and tasks start in plan order: a
/// task that does not fit waits for running ones to finish, and none behind it overtakes it, so
/// a large task is never starved by a stream of small ones.
public final class Scheduler: @unchecked Sendable {   // every var is touched only on `queue`
    /// What a task takes while it runs.
    public struct Demand: Equatable, Sendable {
        public var tokens: Int
        public var memory: Int64
        public init(tokens: Int, memory: Int64) {
            self.tokens = tokens
            self.memory = memory
        }
    }
    /// Called on the scheduler's queue for each task taken from the plan; must call `done` exactly
    /// once, from any thread, with whether the task succeeded. It should not block for long.
    public typealias Start = @Sendable (_ task: Int, _ done: @escaping @Sendable (Bool) -> Void) -> Void

    private let queue = DispatchQueue(label: "loom.scheduler")
    private var plan: Plan
    private let jobs: Int
    private let keepGoing: Bool
    private var running = 0
    private var tokensInUse = 0
    private var memoryInUse: Int64 = 0
    private let demands: [Demand]?
    private let memoryBudget: Int64
    private var taken: [Int: Demand] = [:]
    private var stopping = false
    private var start: Start?
    private let finished = DispatchSemaphore(value: 0)
    /// The most tasks that were running at the same moment (for tests and `-v`).
    public private(set) var peakRunning = 0

    public init(plan: Plan, jobs: Int, keepGoing: Bool, demands: [Demand]? = nil, memoryBudget: Int64 = .max) {
        self.plan = plan
        self.jobs = max(1, jobs)
        self.keepGoing = keepGoing
        self.demands = demands
        self.memoryBudget = max(0, memoryBudget)
    }

    /// Task `i`'s demand, clamped to what there is.
    private func demand(_ i: Int) -> Demand {
        guard let d = demands?[i] else { return Demand(tokens: 1, memory: 0) }
        return Demand(tokens: min(max(1, d.tokens), jobs), memory: min(max(0, d.memory), memoryBudget))
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
        while !stopping, let next = plan.nextReady {
            let d = demand(next)
            guard tokensInUse + d.tokens <= jobs, memoryInUse + d.memory <= memoryBudget || running == 0 else { break }
            let i = plan.takeReady()!
            running += 1
            tokensInUse += d.tokens
            memoryInUse += d.memory
            if demands != nil { taken[i] = d }
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
        let d = demands == nil ? Demand(tokens: 1, memory: 0) : taken.removeValue(forKey: i)!
        tokensInUse -= d.tokens
        memoryInUse -= d.memory
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
