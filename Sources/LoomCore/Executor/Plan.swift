/// The pure state of a build: which tasks wait, which are ready, how each ended. No I/O, no
/// threads: the scheduler drives it. Ready tasks are taken in topological index order.
public struct Plan: Sendable {
    public enum Outcome: Equatable, Sendable {
        case succeeded
        case failed
        /// Not run because a needed task failed (or the run stopped first).
        case skipped
    }

    private let needs: [[Int]]
    private let dependents: [[Int]]
    private var pending: [Int]
    private var ready: [Int] = []    // kept sorted descending; the next task is at the end
    public private(set) var outcomes: [Outcome?]
    public private(set) var started: [Bool]
    /// Only these tasks take part (the targets and what they need); others count as done.
    public let included: [Bool]

    public init(needs: [[Int]], included: [Bool]? = nil) {
        self.needs = needs
        var deps = [[Int]](repeating: [], count: needs.count)
        for (i, ns) in needs.enumerated() { for n in ns { deps[n].append(i) } }
        dependents = deps
        let inc = included ?? Array(repeating: true, count: needs.count)
        self.included = inc
        outcomes = Array(repeating: nil, count: needs.count)
        started = Array(repeating: false, count: needs.count)
        pending = needs.map { $0.count }
        for i in needs.indices where !inc[i] { outcomes[i] = .succeeded }
        for i in needs.indices where !inc[i] { for d in deps[i] { pending[d] -= 1 } }
        ready = needs.indices.filter { inc[$0] && pending[$0] == 0 }.sorted(by: >)
    }

    /// The next ready task (lowest index), marked started; nil if none is ready now.
    public mutating func takeReady() -> Int? {
        guard let i = ready.popLast() else { return nil }
        started[i] = true
        return i
    }

    public var hasReady: Bool { !ready.isEmpty }

    /// The task `takeReady` would take next.
    public var nextReady: Int? { ready.last }

    /// Records how a started task ended. A failure skips everything downstream of it.
    public mutating func finish(_ i: Int, succeeded: Bool) {
        precondition(started[i] && outcomes[i] == nil, "Plan.finish: task \(i) was not running")
        outcomes[i] = succeeded ? .succeeded : .failed
        if succeeded {
            for d in dependents[i] {
                pending[d] -= 1
                if pending[d] == 0 && outcomes[d] == nil { insertReady(d) }
            }
        } else {
            skipDownstream(of: i)
        }
    }

    /// Records that every included task succeeded at once (each was proven current before any
    /// started: a no-op run).
    public mutating func succeedAll() {
        ready.removeAll()
        for i in outcomes.indices where included[i] {
            started[i] = true
            outcomes[i] = .succeeded
        }
    }

    /// Marks every task not yet started as skipped (the run stops).
    public mutating func skipUnstarted() {
        ready.removeAll()
        for i in outcomes.indices where outcomes[i] == nil && !started[i] { outcomes[i] = .skipped }
    }

    /// True when every included task has an outcome.
    public var isFinished: Bool { outcomes.allSatisfy { $0 != nil } }

    private mutating func skipDownstream(of i: Int) {
        var stack = dependents[i]
        while let d = stack.popLast() {
            guard outcomes[d] == nil else { continue }
            outcomes[d] = .skipped
            stack.append(contentsOf: dependents[d])
        }
        ready.removeAll { outcomes[$0] != nil }
    }

    private mutating func insertReady(_ i: Int) {
        let pos = ready.firstIndex { $0 < i } ?? ready.count
        ready.insert(i, at: pos)
    }
}
