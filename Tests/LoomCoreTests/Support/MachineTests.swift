import Foundation
import Testing
@testable import LoomCore

@Suite struct MachineTests {
    /// The same answers as Foundation's, which Loom no longer asks (its first use costs a no-op run
    /// 0.28 ms).
    @Test func agreesWithProcessInfo() {
        #expect(Machine.processors() == ProcessInfo.processInfo.activeProcessorCount)
        #expect(Machine.hostName() == ProcessInfo.processInfo.hostName)
        #expect(!Machine.hostName().isEmpty)
    }

    @Test func cgroupQuotaRoundsUpAndIgnoresWhatItCannotRead() {
        // cgroup v2: "QUOTA PERIOD" or "max PERIOD".
        #expect(Machine.cgroupQuota(v2: "max 100000\n", v1Quota: nil, v1Period: nil) == nil)
        #expect(Machine.cgroupQuota(v2: "200000 100000\n", v1Quota: nil, v1Period: nil) == 2)
        #expect(Machine.cgroupQuota(v2: "150000 100000\n", v1Quota: nil, v1Period: nil) == 2)
        #expect(Machine.cgroupQuota(v2: "50000 100000", v1Quota: nil, v1Period: nil) == 1)
        // v2 wins over v1 when both are there (a hybrid mount).
        #expect(Machine.cgroupQuota(v2: "max 100000", v1Quota: "300000\n", v1Period: "100000\n") == nil)
        // cgroup v1: two files, -1 for none.
        #expect(Machine.cgroupQuota(v2: nil, v1Quota: "-1\n", v1Period: "100000\n") == nil)
        #expect(Machine.cgroupQuota(v2: nil, v1Quota: "300000\n", v1Period: "100000\n") == 3)
        #expect(Machine.cgroupQuota(v2: nil, v1Quota: "300000\n", v1Period: nil) == nil)
        // Broken or hostile contents: no quota, never a trap.
        for bad in ["", "\n", "max", "0 100000", "100000 0", "-5 100000", "x y", "1 2 3",
                    "99999999999999999999999 1", "\u{0}\u{0}", "100000 -100000"] {
            #expect(Machine.cgroupQuota(v2: bad, v1Quota: nil, v1Period: nil) == nil, "\(bad)")
            #expect(Machine.cgroupQuota(v2: nil, v1Quota: bad, v1Period: "100000") == nil, "\(bad)")
        }
        #expect(Machine.cgroupQuota(v2: "9223372036854775807 2", v1Quota: nil, v1Period: nil) == Int.max / 2 + 1)
    }
}
