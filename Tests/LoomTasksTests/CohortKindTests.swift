import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

@Suite struct CohortKindTests {
    /// CohortTests' log as an event table (times 10:00 UTC): by hand, January's cohort is u1 and
    /// u2, February's u3; u4 never buys.
    static let events: String = {
        func t(_ y: Int, _ m: Int, _ d: Int) -> Int { CivilDate.day(year: y, month: m, day: d) * 86400 + 36000 }
        return "user,session,event_type,time,price\n" + [
            "u1,s1,purchase,\(t(2020, 1, 5)),10", "u1,s2,view,\(t(2020, 2, 3)),99", "u1,s3,purchase,\(t(2020, 3, 10)),20",
            "u2,s4,view,\(t(2019, 12, 20)),1", "u2,s5,purchase,\(t(2020, 1, 20)),5", "u2,s6,purchase,\(t(2020, 2, 1)),7",
            "u3,s7,purchase,\(t(2020, 2, 15)),8", "u4,s8,view,\(t(2020, 1, 10)),3",
        ].joined(separator: "\n") + "\n"
    }()

    func text(_ s: KindSandbox, _ task: String, _ file: String) throws -> String {
        try String(contentsOfFile: s.artifacts[task]! + "/" + file, encoding: .utf8)
    }

    @Test func writesTheMatricesAndMetrics() throws {
        let s = try KindSandbox()
        try s.artifact("ev", file: "events.csv", Self.events)
        try s.run("c", "cohort", [:], needs: ["ev"])
        #expect(try text(s, "c", "retention.csv") == "cohort,size,period_0,period_1,period_2\n2020-01,2,1,0.5,0.5\n2020-02,1,1,0,\n")
        #expect(try text(s, "c", "revenue.csv") == "cohort,size,period_0,period_1,period_2\n2020-01,2,15,7,20\n2020-02,1,8,0,\n")
        #expect(try text(s, "c", "cohort.csv").hasPrefix("cohort,size,period,active_users,retention,revenue,revenue_per_user,cumulative_revenue_per_user,complete\n2020-01,2,0,2,1,15,7.5,7.5,1\n"))
        #expect(try s.metrics("c") == ["cohorts": 2, "users": 3, "revenue": 50, "retention.period_1": 0.5])
        // first_seen takes activity 'any' by default: u2's December view starts a cohort.
        try s.run("seen", "cohort", ["start": .string("first_seen")], needs: ["ev"])
        #expect(try text(s, "seen", "retention.csv").hasPrefix("cohort,size,period_0,period_1,period_2,period_3\n2019-12,1,1,1,1,0\n"))
        #expect(try text(s, "seen", "cohort.json").contains("\"activity\" : \"any\""))
    }

    @Test func badInputsNameTheColumnOrParam() throws {
        let s = try KindSandbox()
        try s.artifact("ev", file: "events.csv", Self.events)
        expectFailure(["ev/events.csv has no column 'amount' (param 'amount'); columns: user, session, event_type, time, price"]) {
            try s.run("c", "cohort", ["amount": .string("amount")], needs: ["ev"])
        }
        let check = BuiltinKinds.registry["cohort"]!.check
        #expect(check(["period": .string("quarter")]).map(\.message) == ["param 'period' must be week or month, got 'quarter'"])
        #expect(check(["max_period": .int(-1)]).map(\.message) == ["param 'max_period' must be >= 0, got -1"])
    }
}
