import Foundation
import Testing
import LoomCore

@Suite struct RecommendDagTests {
    /// dags/recommend.yaml with the real binary: on the generated shop with taste groups both
    /// recommenders beat popularity on NDCG by a clear margin (1.5x; measured about 2x and more,
    /// see the test below in LoomTasksTests), the report has the section, -j1 and -j2 give the same
    /// bytes, and a second run executes nothing.
    @Test func recommendersBeatPopularityOnPlantedTastes() throws {
        let dag = try String(contentsOfFile: AnalyticsTests.repo + "/dags/recommend.yaml", encoding: .utf8)
        let s = Sandbox()
        s.write("dags/recommend.yaml", dag)
        let r = try s.loom("run", "dags/recommend.yaml", "-q", "-j", "2")
        #expect(r.status == 0, "\(r.stderr)")
        let serial = Sandbox()
        serial.write("dags/recommend.yaml", dag)
        #expect(try serial.loom("run", "dags/recommend.yaml", "-q", "-j", "1").status == 0)
        #expect(serial.artifacts(dag: "recommend") == s.artifacts(dag: "recommend") && s.artifacts(dag: "recommend").count == 5)
        let m = try #require(try s.lastRun().tasks.first { $0.name == "recommend" }?.metrics)
        let popularity = try #require(m["popularity.ndcg"])
        for method in ["item_item", "als"] {
            let ndcg = try #require(m["\(method).ndcg"])
            #expect(ndcg > 1.5 * popularity, "\(method) NDCG \(ndcg) vs popularity \(popularity)")
        }
        let evaluation = try #require(s.read("artifacts/latest/recommend/recommend/evaluation.csv"))
        #expect(evaluation.hasPrefix("method,k,users,precision,recall,ndcg,map,hit_rate,coverage\nitem_item,10,"))
        #expect(s.read("artifacts/latest/recommend/recommend/recommendations.csv")?.hasPrefix("user,rank,item,score\n") == true)
        let truth = try #require(s.read("artifacts/latest/recommend/generate/truth.json"))
        #expect(truth.contains("\"tastes\"") && truth.contains("\"categories\""))
        let report = try #require(s.read("artifacts/latest/recommend/report/report.html"))
        #expect(report.contains("<h2>Recommendations (recommend)</h2>") && report.contains("Ranking metrics @10 by method"))
        #expect(report.contains("item_item beats the popularity baseline"))
        #expect(report.contains("<th>recommender</th><th>method</th><th>NDCG@k</th>"))   // the headline table
        #expect(try s.loom("run", "dags/recommend.yaml").stdout.contains(": 0 ran, "))
    }
}
