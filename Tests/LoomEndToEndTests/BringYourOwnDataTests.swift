import Foundation
import Testing

/// README "Bring your own data", as written there: a click log with its own vocabulary, ingested,
/// a Python step as a shell task, and session_features with the vocabulary as params.
@Suite struct BringYourOwnDataTests {
    @Test func theReadmesExampleRuns() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Bring your own data").dropFirst().first?.components(separatedBy: "\n## ").first)
        let blocks = section.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element.drop { $0 != "\n" }.dropFirst()) }
        let dag = try #require(blocks.first { $0.hasPrefix("# dags/clicks.yaml") })
        let script = try #require(blocks.first { $0.hasPrefix("# scripts/conversion.py") })
        let s = Sandbox()
        s.write("dags/clicks.yaml", dag)
        s.write("scripts/conversion.py", script)
        s.write("data/clicks.csv", """
        visitor,visit,action,ts,amount,sku
        u1,s1,page_view,2024-03-01 10:00:00,,p1
        u1,s1,add_to_basket,2024-03-01 10:01:00,,p1
        u1,s1,order_placed,2024-03-01 10:05:00,19.90,p1
        u2,s2,page_view,2024-03-01 11:00:00,,p2
        u2,s2,page_view,2024-03-01 11:02:00,,p3
        u3,s3,page_view,2024-03-02 09:00:00,,p1
        u3,s3,add_to_basket,2024-03-02 09:03:00,,p1

        """)
        let r = try s.loom("run", "clicks")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(s.read("artifacts/latest/clicks/conversion/conversion.csv") == "sessions,purchases,rate\n3,1,0.3333\n")
        let sessions = s.read("artifacts/latest/clicks/sessions/sessions.csv") ?? ""
        #expect(sessions.hasPrefix("user,session,views,carts,") && sessions.contains("\nu1,s1,1,1,"), "\(sessions)")
        // Editing the script reruns its task only.
        s.write("scripts/conversion.py", script + "\n# edited\n")
        let again = try s.loom("run", "clicks")
        #expect(again.stdout.contains("1 ran, 2 cached") && again.lines.contains { $0.hasPrefix("run      conversion  (file scripts/conversion.py changed)") }, "\(again.stdout)")
    }
}
