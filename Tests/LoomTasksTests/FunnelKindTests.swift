import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

@Suite struct FunnelKindTests {
    static let events = "user,session,event_type,time,price,product,category,brand,device\n"
        + "u1,s1,view,0,1,p,c,b,mobile\nu1,s1,cart,10,1,p,c,b,mobile\nu1,s1,purchase,40,1,p,c,b,mobile\n"
        + "u1,s2,view,86400,1,p,c,b,desktop\nu2,s3,view,5,1,p,c,b,desktop\nu2,s3,cart,8,1,p,c,b,desktop\n"

    @Test func writesTheFunnelAbandonmentAndMetrics() throws {
        let s = try KindSandbox()
        try s.artifact("ev", file: "events.csv", Self.events)
        try s.run("f", "funnel", ["by": .list([.string("device"), .string("day_of_week")])], needs: ["ev"])
        let t = try s.table("f", "funnel.csv")
        #expect(try t.texts("level") == ["all", "all", "all", "desktop", "desktop", "desktop", "mobile", "mobile", "mobile", "Thursday", "Thursday", "Thursday", "Friday", "Friday", "Friday"])
        #expect(try t.numbers("units").prefix(3) == [3, 2, 1])
        #expect(try s.metrics("f") == ["units": 3, "reached.view": 3, "reached.cart": 2, "reached.purchase": 1, "conversion.view": 1,
                                       "conversion.cart": 2.0 / 3, "conversion.purchase": 1.0 / 3, "cart_abandonment": 0.5])
        // By user: u1's two sessions are one unit.
        try s.run("fu", "funnel", ["unit": .string("user")], needs: ["ev"])
        #expect(try s.metrics("fu")["units"] == 2)
    }

    @Test func badInputsNameTheColumnOrParam() throws {
        let s = try KindSandbox()
        try s.artifact("ev", file: "events.csv", Self.events)
        expectFailure(["ev/events.csv has no column 'channel' (param 'by'); columns: user, session"]) {
            try s.run("f", "funnel", ["by": .list([.string("channel")])], needs: ["ev"])
        }
        let check = BuiltinKinds.registry["funnel"]!.check
        #expect(check(["steps": .list([])]).map(\.message) == ["param 'steps' must name at least one event type"])
        #expect(check(["steps": .list([.string("view"), .string("view")])]).map(\.message) == ["param 'steps' names an event type twice (view, view)"])
        #expect(check(["unit": .string("visitor")]).map(\.message) == ["param 'unit' must be session or user, got 'visitor'"])
        #expect(check(["by": .list([.string("time")])]).map(\.message) == ["param 'by' names 'time': expected a categorical column, not one of user, session, event_type, time"])
    }
}
