import Foundation
import Testing
import LoomCore

/// Batch scoring of new customers from a project CSV: `train` fits median imputation and one-hot
/// levels on its training rows and saves them in model.json; `predict` applies them to the new file.
@Suite struct BatchScoringTests {
    /// 300 customers: recency (every 7th missing), spend, device (web, mobile, tablet); churned more
    /// likely with a long recency and on tablets.
    static func customers() -> String {
        var lines = ["customer,recency,spend,device,churned"]
        for i in 0..<300 {
            let recency = (i * 37) % 100, spend = 20 + (i * 13) % 80
            let device = ["web", "mobile", "tablet"][i % 3]
            let churned = recency + (device == "tablet" ? 30 : 0) + (i * 7) % 40 > 85 ? 1 : 0
            lines.append("c\(i),\(i % 7 == 0 ? "" : String(recency)),\(spend),\(device),\(churned)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let dag = """
    tasks:
      churn_model:
        kind: train
        params:
          project_file: data/customers.csv
          label: churned
          ids: [customer]
          categorical: [device]
          impute: median
          model: logistic
          test_fraction: 0.25
          seed: 1
      scores:
        kind: predict
        needs: [churn_model]
        params:
          model: churn_model
          project_file: data/new_customers.csv
          ids: [customer]
    """

    @Test func newCustomersAreScoredWithTheTrainingImputationAndLevels() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", Self.dag)
        s.write("data/customers.csv", Self.customers())
        // A placeholder to learn the fill value first: predict needs the file to exist.
        s.write("data/new_customers.csv", "customer,recency,spend,device\nx,1,1,web\n")
        let first = try s.loom("run", "dags/t.yaml", "-q")
        #expect(first.status == 0, "\(first.stderr)")
        let model = try #require(s.read("artifacts/latest/t/churn_model/model.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(model.utf8)) as? [String: Any])
        let pre = try #require(json["preprocessing"] as? [String: Any])
        let fill = try #require((pre["fill"] as? [Double])?.first)
        #expect(pre["imputation"] as? String == "median")
        #expect((pre["categorical"] as? [[String: Any]])?.first?["levels"] as? [String] == ["mobile", "tablet", "web"])

        // a: recency missing; b: the training median written out: the same score. c (a device never seen)
        // and d (no device): every one-hot column 0, so the same score as each other.
        s.write("data/new_customers.csv", """
        customer,recency,spend,device
        a,,50,web
        b,\(fill),50,web
        c,80,30,watch
        d,80,30,
        e,10,90,tablet

        """)
        let r = try s.loom("run", "dags/t.yaml", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try #require(s.read("artifacts/latest/t/scores/predictions.csv")).split(separator: "\n").map(String.init)
        #expect(lines.first == "customer,score" && lines.count == 6)
        let score = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { l in
            let f = l.split(separator: ",", omittingEmptySubsequences: false)
            return (String(f[0]), Double(f[1]) ?? .nan)
        })
        #expect(score["a"] == score["b"])
        #expect(score["c"] == score["d"])
        #expect(score.values.allSatisfy { $0 > 0 && $0 < 1 })

        // A new file without a column the model was trained on: the task fails naming it.
        s.write("data/new_customers.csv", "customer,recency,spend\na,3,50\n")
        let bad = try s.loom("run", "dags/t.yaml")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("data/new_customers.csv lacks the model's columns: device (it has: customer, recency, spend)"), "\(bad.stderr)")
    }
}
