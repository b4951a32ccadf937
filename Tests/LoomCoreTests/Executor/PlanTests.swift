import Foundation
import Testing
@testable import LoomCore

@Suite struct PlanTests {
    // 0 -> 1 -> 3, 0 -> 2 -> 3, 4 independent
    let needs = [[], [0], [0], [1, 2], []]

    @Test func readyInIndexOrder() {
        var p = Plan(needs: needs)
        #expect(p.takeReady() == 0)
        #expect(p.takeReady() == 4)
        #expect(p.takeReady() == nil)
        p.finish(0, succeeded: true)
        #expect(p.takeReady() == 1)
        #expect(p.takeReady() == 2)
        p.finish(2, succeeded: true)
        #expect(p.takeReady() == nil)
        p.finish(1, succeeded: true)
        #expect(p.takeReady() == 3)
        p.finish(3, succeeded: true)
        p.finish(4, succeeded: true)
        #expect(p.isFinished)
    }

    /// A no-op run: every included task succeeded at once, the others count as done.
    @Test func succeedAllFinishesTheIncluded() {
        var p = Plan(needs: needs, included: [true, true, false, true, false])
        p.succeedAll()
        #expect(p.isFinished && !p.hasReady && p.takeReady() == nil)
        #expect(p.outcomes == [.succeeded, .succeeded, .succeeded, .succeeded, .succeeded])
        #expect(p.started == [true, true, false, true, false])
    }

    @Test func failureSkipsDownstreamOnly() {
        var p = Plan(needs: needs)
        _ = p.takeReady(); _ = p.takeReady()
        p.finish(0, succeeded: true)
        _ = p.takeReady(); _ = p.takeReady()
        p.finish(1, succeeded: false)
        #expect(p.outcomes[3] == .skipped)
        p.finish(2, succeeded: true)
        p.finish(4, succeeded: true)
        #expect(p.isFinished)
        #expect(p.outcomes == [.succeeded, .failed, .succeeded, .skipped, .succeeded])
    }

    @Test func excludedTasksCountAsDone() {
        var p = Plan(needs: needs, included: [false, true, false, false, false])
        #expect(p.takeReady() == 1)
        #expect(p.takeReady() == nil)
        p.finish(1, succeeded: true)
        #expect(p.isFinished)
    }
}

@Suite struct SchedulerTests {
    /// 12 independent tasks that each take a while: with -j 4 exactly 4 run at once.
    @Test(arguments: [1, 4, 8])
    func runsAtMostJobsAtOnce(jobs: Int) {
        let s = Scheduler(plan: Plan(needs: Array(repeating: [], count: 12)), jobs: jobs, keepGoing: false)
        let plan = s.run { _, done in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) { done(true) }
        }
        #expect(plan.isFinished)
        #expect(s.peakRunning == jobs)
    }

    @Test func stopsStartingAfterAFailureUnlessKeepGoing() {
        let needs: [[Int]] = [[], [], [], [2]]
        for keepGoing in [false, true] {
            let started = Locked<[Int]>([])
            let s = Scheduler(plan: Plan(needs: needs), jobs: 1, keepGoing: keepGoing)
            let plan = s.run { i, done in
                started.mutate { $0.append(i) }
                done(i != 0)
            }
            #expect(plan.outcomes[0] == .failed)
            #expect(started.value == (keepGoing ? [0, 1, 2, 3] : [0]))
            #expect(plan.outcomes[3] == (keepGoing ? .succeeded : .skipped))
        }
    }
}

final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let l = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { l.lock(); defer { l.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { l.lock(); f(&v); l.unlock() }
}
