import Foundation
import Synchronization
import Testing
@testable import LoomCore

@Suite struct DetachedThreadTests {
    /// Every job runs exactly once, on a thread other than the caller's, with the stack it asked
    /// for (a 1 MiB buffer on it, which a small default stack would not hold twice over).
    @Test func eachJobRunsOnceOnAThreadOfItsOwn() {
        let runs = Mutex<[Int]>([]), done = DispatchGroup()
        let caller = pthread_self()
        let elsewhere = Atomic<Int>(0)
        for i in 0..<64 {
            done.enter()
            DetachedThread.start {
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
                var deep = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 16)
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 20) { b in
                    b.initialize(repeating: 1)
                    deep[0] = b[(1 << 20) - 1]
                }
                runs.withLock { $0.append(i + Int(deep[0]) - 1) }
                done.leave()
            }
        }
        done.wait()
        #expect(runs.withLock { $0.sorted() } == Array(0..<64))
        #expect(elsewhere.load(ordering: .relaxed) == 64)
    }
}
