import Foundation
import Testing
import LoomCore

/// The real binary on a clickstream with its own vocabulary (Tests/Fixtures/clickstream.csv: twelve
/// event types, the purchase named order_placed, an order without a price): ingest from a project
/// file, clean with its rules as params, per-type session features, a logistic model with C on
/// one cpu, and a second model reading a project CSV directly (no copying shell task).
@Suite struct EventLogTests {
    static var repo: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static let dag = """
        name: clicks
        tasks:
          events:
            kind: ingest_events
            params: {file: data/clickstream.csv, user: visitor, session: visit, event_type: action, time: ts, time_format: epoch, price: amount}
          clean:
            kind: clean
            needs: [events]
            params: {purchase_event: order_placed, purchase_needs_price: false}
          sessions:
            kind: session_features
            needs: [clean]
            params:
              label_event: order_placed
              view_events: [product_view]
              cart_events: [add_to_cart]
              remove_events: [remove_item]
              price_events: [product_view, add_to_cart]
              all_event_types: true
          model:
            kind: train
            needs: [sessions]
            resources: {cpus: 1}
            params: {label: label, ids: [session], features: [views, distinct_types, count.search], model: logistic, C: 2.0, split: ordered, train_rows: 3}
          direct:
            kind: train
            params: {project_file: data/table.csv, label: label, model: logistic, C: 0.5, split: ordered, train_rows: 24}
          report:
            kind: report
            needs: [clean, model]
        """

    @Test func aSecondVocabularyRunsEndToEnd() throws {
        let s = Sandbox()
        s.write("dags/clicks.yaml", Self.dag)
        s.write("data/clickstream.csv", try String(contentsOfFile: Self.repo + "/Tests/Fixtures/clickstream.csv", encoding: .utf8))
        // y is 1 exactly when x > 2, except row 4 (so the classes do not separate); z is constant.
        s.write("data/table.csv", "x,z,label\n" + (0..<30).map { "\($0 % 5),7,\(($0 % 5 > 2) != ($0 == 4) ? 1 : 0)" }.joined(separator: "\n") + "\n")
        let r = try s.loom("run", "clicks", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        let run = try s.lastRun()
        func metrics(_ task: String) -> [String: Double] { run.tasks.first { $0.name == task }?.metrics ?? [:] }
        #expect(metrics("clean")["rows_in"] == 22 && metrics("clean")["rows_out"] == 21 && metrics("clean")["dropped.duplicate"] == 1)
        #expect(metrics("sessions")["conversion_rate"] == 0.5)
        // 12 fixed features + 11 counts + distinct_types, the ids and the label.
        #expect(metrics("sessions")["columns"] == 27)
        #expect(metrics("model")["train_rows"] == 3 && metrics("model")["test_rows"] == 1)
        #expect(metrics("direct")["constant_features_dropped"] == 1 && metrics("direct")["features"] == 1)
        #expect(s.read("experiments/\(run.id)/logs/direct.log")?.contains("warning: left out 1 feature column(s) constant on the training rows: z") == true)
        let sessions = try #require(s.read("artifacts/latest/clicks/sessions/sessions.csv"))
        #expect(sessions.hasPrefix("user,session,views,carts,removes,evening,log_mean_price,hour,duration,distinct_products,distinct_categories,min_price,max_price,mean_price,count.add_to_cart,count.checkout_start,"))
        #expect(s.read("artifacts/latest/clicks/report/report.html")?.contains("<h2>Cleaning (clean)</h2>") == true)
        // Nothing runs again; the project file is in the direct model's key.
        #expect(try s.loom("run", "clicks").stdout.contains(": 0 ran, "))
        s.write("data/table.csv", (s.read("data/table.csv") ?? "") + "4,7,1\n")
        let status = try s.loom("status", "clicks")
        #expect(status.stdout.contains("stale       direct\n              - file data/table.csv changed"), "\(status.stdout)")
    }
}
