import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// Golden output digests: every built-in kind runs on a small fixed input and its artifact's
/// digest (the store's `TreeListing` digest: every file by content) is compared to this table
/// together with the kind's version. A kind whose bytes change while its version stays the same
/// would let old cached artifacts pass for new ones, so that fails here.
///
/// When a kind's output changes on purpose: bump its `version`, run this test, and copy the new
/// digest it prints into the table. Digests are of this platform's floating point (x86_64 Linux,
/// Swift 6.3); numeric kinds may print other bytes elsewhere.
@Suite struct GoldenDigestTests {
    // Taken on main before params were declared with ParamSpec, and unchanged by it.
    static let golden: [String: (version: Int, digest: String)] = [
        "funnel": (1, "8dfef38d68f51a991b47cfe17dd8b4c29643531db248871e07d7f0ba19cf7427"),
        "abtest": (1, "64ac33034dce4a154ddbfd657e7f2ccae4f3c75361cdfda3322a07bd0096351a"),
        "clean": (1, "2393fdc2f4ea471d5f17e9397e831198f3dec79428bd7bdbaf5ad13e635c3387"),
        "clv": (1, "9068284dc04e848caa578a9afcab4620ba75ac9b51d64af37219b6213358989c"),
        "concat": (1, "bbd3d211149e59919a0f18c986654e12c2627f24c8a50882ed5455cec80da42c"),
        "customer_features": (1, "6c4a26772094f6c12704e4a4710e702d9fefe08c6c6dd17b08e87200c867bf66"),
        "evaluate": (1, "60c69f1eb5c1a635e7d396b59d4efcc7b900ff5d7613e896888c6ee33239142c"),
        "generate": (1, "94d3ece01e3f7184fdddbea7b75778dec0414a7a6123e264e1fdec141141c9c3"),
        "ingest": (2, "1da1dc48836722cc760bab9d3a127f2d7e89bd1caf00080c68a8e55cd7588e67"),
        "ingest_events": (2, "8b9ba842f71ba45cb693cb9616a21532cb0971cd3c9262911967d2c1198a5549"),
        "kmeans": (1, "ea0d83c852750bc33a07be90dfc00371c5b06bff5d594de9761eb9fbe4c94016"),
        "predict": (1, "a135461ad43b779c06bc0df4dabd461fd6fe363b383a2c830a8c111591bd85be"),
        "report": (6, "a8a0ad3e10145970da445aafae4d091de0e2431405e659633edaa2e0aa6c5f6c"),
        "sample": (1, "5ad894ed9190af582d5851249b27c0d747b267c4722c454f48b13bd0be89c87b"),
        "session_features": (2, "5df59399f1e17c44dd6297bcdb78bcf831097d1a97b28b677292c3dcc1b1f1d1"),
        "train": (2, "17ef36fdc77bbf452247bf6bc0d48d54e2d572c00e570b62705c87d5ec2e2f36"),
        "cohort": (1, "b9a4aa3d06f0d99a430196aa3b8c921a714903e84bd7ad1f6016e08b1298d1c7"),
        "sql": (1, "3883ce393067d7b896883a0ee76eeca7dbb76474f552aeaffa3701b2d5e812a9"),
        "recommend": (1, "bc6eaf709a5e3a00bf718c4ab972fc94e0f569ab1e82872aa30462f469c7a471"),
    ]

    /// Runs one task of every built-in kind, as a small shop pipeline; returns kind -> artifact digest.
    static func digests() throws -> [String: String] {
        let s = try KindSandbox()
        try s.shop(customers: 150, seed: 3)
        try s.run("sessions", "session_features", ["categorical": .list([.string("brand")]), "top_levels": .int(3)], needs: ["clean"])
        try s.run("model", "train", ["label": .string("label"), "ids": .list([.string("session")]), "group": .string("user"), "rounds": .int(10),
                                     "min_samples_leaf": .int(5)], needs: ["sessions"])
        try s.run("scored", "predict", ["model": .string("model"), "input": .string("sessions"), "ids": .list([.string("session")])], needs: ["model", "sessions"])
        try s.run("evaluation", "evaluate", [:], needs: ["model"])
        try s.run("customers", "customer_features", ["calibration_end": .string("2020-06-30"), "holdout_end": .string("2020-09-30")], needs: ["clean"])
        try s.run("lifetime", "clv", ["horizon_weeks": .int(13)], needs: ["customers"])
        try s.run("segments", "kmeans", ["columns": .list([.string("frequency"), .string("monetary")]), "log1p": .list([.string("frequency")]),
                                         "ids": .list([.string("customer")]), "k": .int(3), "n_init": .int(2), "seed": .int(1)], needs: ["customers"])
        try s.run("report", "report", ["title": .string("golden"), "notes": .map(["seed": .int(3)])], needs: ["evaluation", "lifetime", "segments"])
        try FileSystem.writeAtomically(s.root + "/tx.csv", "id,date,amt\na,19970101,10.5\nb,19970102,3\na,19970310,7.25\n")
        try s.run("transactions", "ingest", ["file": .string("tx.csv"), "customer": .string("id"), "time": .string("date"), "amount": .string("amt"),
                                             "time_format": .string("yyyymmdd")])
        try s.run("picked", "sample", ["input": .string("generate"), "file": .string("events.csv"), "n": .int(25), "seed": .int(2), "header": .bool(true)],
                  needs: ["generate"])
        try s.artifact("experiment", file: "experiment.csv", "variant,clicked,amount,pre\n" + (0..<30).map { i in
            "\(["control", "b", "a"][i % 3]),\(i % 4 == 0 ? 1 : 0),\(Double(i % 5) * 1.5 + Double(i % 3) + Double(i % 7) * 0.25),\(i % 5)"
        }.joined(separator: "\n") + "\n")
        try s.run("ab", "abtest", ["metrics": .list([.string("clicked"), .string("amount")]), "covariates": .map(["amount": .string("pre")])],
                  needs: ["experiment"])
        try s.run("steps", "funnel", ["by": .list([.string("brand"), .string("day_of_week")]), "top_levels": .int(3)], needs: ["clean"])
        try s.run("cohorts", "cohort", ["period": .string("week")], needs: ["clean"])
        try s.run("query", "sql", ["query": .string("SELECT customer, frequency + 1 AS purchases, monetary / 2 AS half FROM customers WHERE frequency > 0")],
                  needs: ["customers"])
        try s.run("recs", "recommend", ["split": .string("2020-06-01"), "methods": .list([.string("item_item"), .string("als")]), "factors": .int(4),
                                         "iterations": .int(3), "k": .int(5)], needs: ["clean"])
        try s.artifact("one", file: "x.txt", "one\n")
        try s.artifact("two", file: "x.txt", "two\n")
        try s.run("joined", "concat", ["file": .string("x.txt")], needs: ["one", "two"])
        let taskOfKind = ["generate": "generate", "ingest_events": "events", "clean": "clean", "session_features": "sessions", "train": "model",
                          "predict": "scored", "evaluate": "evaluation", "customer_features": "customers", "clv": "lifetime", "kmeans": "segments",
                          "report": "report", "ingest": "transactions", "sample": "picked", "concat": "joined", "abtest": "ab", "funnel": "steps",
                          "cohort": "cohorts", "sql": "query", "recommend": "recs"]
        return try taskOfKind.mapValues { task in
            try TreeListing.scan(s.root + "/" + task) { a, _, _, _ in try FileHasher.digest(ofFile: a) }.digest.hex
        }
    }

    @Test func everyKindHasAGoldenDigest() {
        #expect(Set(Self.golden.keys) == Set(BuiltinKinds.all.map(\.name)))
    }

    @Test func outputsMatchTheirKindsVersions() throws {
        let digests = try Self.digests()
        for kind in BuiltinKinds.all.sorted(by: { $0.name < $1.name }) {
            guard let golden = Self.golden[kind.name], let digest = digests[kind.name] else { continue }
            if golden.version == kind.version {
                #expect(digest == golden.digest, """
                    kind \(kind.name)'s output bytes changed but its version is still \(kind.version): bump kind \(kind.name)'s version and \
                    update the table (\"\(kind.name)\": (\(kind.version + 1), \"\(digest)\"))
                    """)
            } else {
                Issue.record("kind \(kind.name) is at version \(kind.version), the table at \(golden.version): update the table (\"\(kind.name)\": (\(kind.version), \"\(digest)\"))")
            }
        }
    }

    // The digests do not depend on the run: a second run gives the same bytes (else the table
    // would pin noise, not a kind's output).
    @Test func digestsAreReproducible() throws {
        #expect(try Self.digests() == Self.digests())
    }
}
