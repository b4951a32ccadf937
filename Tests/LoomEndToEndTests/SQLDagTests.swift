import Foundation
import Testing
import LoomCore

@Suite struct SQLDagTests {
    /// dags/sql.yaml at a small size with the real binary: SQL over a needed task renamed by
    /// `tables`, derived columns of customer_features, and a declared project file (the CDNOW
    /// sample), whose top spender is checked against a sum computed here.
    @Test func queriesNeedsAndProjectFiles() throws {
        let s = Sandbox()
        s.write("dags/sql.yaml", try String(contentsOfFile: AnalyticsTests.repo + "/dags/sql.yaml", encoding: .utf8))
        let cdnow = try String(contentsOfFile: AnalyticsTests.repo + "/data/cdnow_sample.csv", encoding: .utf8)
        s.write("data/cdnow_sample.csv", cdnow)
        let r = try s.loom("run", "dags/sql.yaml", "-q", "-P", "customers=200")
        #expect(r.status == 0, "\(r.stderr)")
        let monthly = try #require(s.read("artifacts/latest/sql/monthly/result.csv")).split(separator: "\n")
        #expect(monthly.first == "month,purchases,buyers,revenue" && monthly.count == 13 && monthly[1].hasPrefix("2019-10,"), "\(monthly)")
        let buyers = try #require(s.read("artifacts/latest/sql/repeat_buyers/result.csv")).split(separator: "\n").dropFirst()
        #expect(!buyers.isEmpty && buyers.allSatisfy { Int($0.split(separator: ",")[1])! >= 2 })
        // The top spender of the sample, summed here.
        var spend: [String: Double] = [:]
        for line in cdnow.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            spend[String(f[0]), default: 0] += Double(f[4])!
        }
        let top = spend.max { $0.value < $1.value }!
        let first = try #require(s.read("artifacts/latest/sql/cdnow_top/result.csv")?.split(separator: "\n").dropFirst().first)
        #expect(first.split(separator: ",")[0] == Substring(top.key) && abs(Double(first.split(separator: ",")[2])! - top.value) < 0.006, "\(first) vs \(top)")
        let report = try #require(s.read("artifacts/latest/sql/report/report.html"))
        #expect(report.contains("<h2>SQL (monthly)</h2>") && report.contains("<h2>SQL (cdnow_top)</h2>"))
        // Nothing runs again; a changed query reruns that task and the report only.
        #expect(try s.loom("run", "dags/sql.yaml", "-P", "customers=200").stdout.contains(": 0 ran, "))
        let edited = try s.loom("run", "dags/sql.yaml", "-P", "customers=200", "-P", "min_purchases=3")
        #expect(edited.lines.contains("run      repeat_buyers  (param 'query' changed at line 6: \"WHERE frequency + 1 >= 2\" -> \"WHERE frequency + 1 >= 3\")") && edited.stdout.contains(": 2 ran, "), "\(edited.stdout)")
        // The project file is part of the key.
        s.write("data/cdnow_sample.csv", cdnow + "99999,1,19980101,1,1.00\n")
        #expect(try s.loom("run", "dags/sql.yaml", "-P", "customers=200", "-P", "min_purchases=3").lines.contains("run      cdnow_top  (file data/cdnow_sample.csv changed)"))
    }

    /// A syntax error in a literal block is reported when the DAG loads, at its line and column in
    /// the DAG file; nothing runs.
    @Test func syntaxErrorPointsIntoTheDag() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          q:
            kind: sql
            params:
              query: |
                SELECT a,
                       b,
                FROM t
        """)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 3)
        #expect(r.stderr == """
        dags/t.yaml:8:9: error: task 'q': param 'query': near "FROM": syntax error
                FROM t
                ^
        error: 1 error in dags/t.yaml; nothing ran

        """)
        s.write("dags/u.yaml", "tasks:\n  q: {kind: sql, params: {query: \"SELECT 1 AS x; ATTACH 'x.db' AS x\"}}\n")
        let two = try s.loom("run", "dags/u.yaml")
        #expect(two.status == 3 && two.stderr.hasPrefix("dags/u.yaml:2:48: error: task 'q': param 'query' holds more than one statement\n"), "\(two.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.root + "/x.db"))
    }
}

extension SQLDagTests {
    /// An unknown column is found when the task runs, and reported at its place in the DAG file,
    /// also when the graph comes from the graph cache (the second run).
    @Test func runtimeErrorPointsIntoTheDag() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", """
        tasks:
          data:
            kind: shell
            cmd: printf 'customer,frequency\\nc1,2\\n' > $LOOM_OUT/customers.csv
          q:
            kind: sql
            needs: [data]
            params:
              query: |
                SELECT customer,
                       frequncy + 1 AS n
                FROM data
        """)
        for _ in 0..<2 {
            let r = try s.loom("run", "dags/t.yaml", "-q")
            #expect(r.status == 1)
            #expect(r.errors.contains("  | sql: dags/t.yaml:11:16: error: no such column: frequncy\n  |            frequncy + 1 AS n\n  |            ^\n"), "\(r.stderr)")
        }
    }
}

@Suite struct CohortDagTests {
    /// dags/cohort.yaml at a small size, with a `sql` task that computes the same matrix another
    /// way (SQLite's calendar, GROUP BY): every non-empty cell of cohort.csv must match it
    /// (revenue to rounding: the sums run in different orders), and vice versa.
    @Test func matrixMatchesAnIndependentSQLComputation() throws {
        let s = Sandbox()
        let dag = try String(contentsOfFile: AnalyticsTests.repo + "/dags/cohort.yaml", encoding: .utf8) + """

          check:
            kind: sql
            needs: [clean]
            params:
              tables: {events: clean}
              query: |
                WITH p AS (SELECT user, strftime('%Y-%m', time, 'unixepoch') AS month,
                                  CAST(strftime('%Y', time, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', time, 'unixepoch') AS INTEGER) AS m,
                                  price
                           FROM events WHERE event_type = 'purchase'),
                     first AS (SELECT user, MIN(m) AS c, MIN(month) AS label FROM p GROUP BY user)
                SELECT f.label AS cohort, p.m - f.c AS period, COUNT(DISTINCT p.user) AS active_users, SUM(p.price) AS revenue
                FROM p JOIN first f USING (user)
                GROUP BY f.label, p.m - f.c

        """
        s.write("dags/cohort.yaml", dag)
        let r = try s.loom("run", "dags/cohort.yaml", "-q", "-P", "customers=200")
        #expect(r.status == 0, "\(r.stderr)")
        func rows(_ path: String) throws -> [[String: String]] {
            let lines = try #require(s.read(path)).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
        }
        let expected = try rows("artifacts/latest/cohort/check/result.csv")
        let cells = try rows("artifacts/latest/cohort/cohort/cohort.csv").filter { $0["active_users"] != "0" }
        #expect(expected.count == cells.count && cells.count > 12)
        for (e, c) in zip(expected, cells) {
            #expect(e["cohort"] == c["cohort"] && e["period"] == c["period"] && e["active_users"] == c["active_users"], "\(e) vs \(c)")
            // Sums of a few hundred prices in another order: equal to ~1e-12 relative.
            #expect(abs(Double(e["revenue"]!)! - Double(c["revenue"]!)!) < 1e-6 * Double(e["revenue"]!)!, "\(e) vs \(c)")
        }
        let m = try #require(try s.lastRun().tasks.first { $0.name == "cohort" }?.metrics)
        // Every buyer is active in their cohort's period 0: the sizes add up to the buyers.
        #expect(m["users"] == Double(expected.filter { $0["period"] == "0" }.reduce(0) { $0 + Int($1["active_users"]!)! }))
        let report = try #require(s.read("artifacts/latest/cohort/report/report.html"))
        #expect(report.contains("<h2>Cohorts (cohort)</h2>") && report.contains("Retention by cohort"))
        // Weekly cohorts by first event.
        #expect(try s.loom("run", "dags/cohort.yaml", "-q", "-P", "customers=200", "-P", "period=week", "-P", "start=first_seen").status == 0)
        #expect(s.read("artifacts/latest/cohort/cohort/cohort.json")?.contains("\"activity\" : \"any\"") == true)
    }
}
