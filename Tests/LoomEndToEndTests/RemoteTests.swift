import Foundation
import Testing
import LoomCore

/// `loom remote`, `push`, `pull` and `run` with a remote cache, through the real binary, against
/// the real S3 server that `scripts/s3-server.sh` starts (SeaweedFS on loopback).
@Suite(.serialized) struct RemoteTests {
    /// The server's `AWS_*` environment, after starting it if needed (nil: it could not start,
    /// which fails the tests that need it, with the script's output).
    static let server: (env: [String: String]?, log: String) = {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        func sh(_ args: [String]) -> (Int32, String) {
            do {
                let r = try Command.run(["/bin/bash", repo + "/scripts/s3-server.sh"] + args)
                return (r.status, r.output + r.errors)
            } catch { return (-1, "\(error)") }
        }
        let (started, log) = sh(["start"])
        guard started == 0 else { return (nil, log) }
        let (ok, text) = sh(["env"])
        guard ok == 0 else { return (nil, text) }
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let kv = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if kv.count == 2 { env[String(kv[0])] = String(kv[1]) }
        }
        return (env, text)
    }()

    let dag = """
    tasks:
      gen: {kind: shell, cmd: 'seq 1 1000 > $LOOM_OUT/n.txt; echo "{\\"lines\\": 1000}" > $LOOM_OUT/metrics.json'}
      sum: {kind: shell, cmd: 'awk "{s+=\\$1} END {print s}" $LOOM_IN/gen/n.txt > $LOOM_OUT/sum.txt', needs: [gen]}
      count: {kind: shell, cmd: 'wc -l < $LOOM_IN/gen/n.txt > $LOOM_OUT/c.txt', needs: [gen]}
    """

    /// A project whose loom.yaml names the test bucket under a fresh prefix as its default remote.
    func project(prefix: String) throws -> Sandbox {
        let env = try #require(Self.server.env, "the S3 server did not start: \(Self.server.log)")
        let s = Sandbox()
        s.environment = env
        s.write("dags/t.yaml", dag)
        let add = try s.loom("remote", "add", "team", "s3://\(env["LOOM_TEST_S3_BUCKET"] ?? "loom-test")/\(prefix)", "--endpoint", env["AWS_ENDPOINT_URL"]!)
        #expect(add.status == 0, "\(add.stderr)")
        return s
    }

    /// A second clone of the project with the same remote runs nothing and ends with the same bytes.
    @Test func aFreshCloneIsServedByTheRemoteByteForByte() throws {
        let prefix = "e2e/" + UUID().uuidString.lowercased()
        let a = try project(prefix: prefix)
        let first = try a.loom("run", "dags/t.yaml")
        #expect(first.status == 0 && first.stdout.contains("3 ran, 0 cached"), "\(first.stdout)\(first.stderr)")
        let b = try project(prefix: prefix)
        let status = try b.loom("status", "dags/t.yaml")
        #expect(status.withoutEstimate == """
        stale       gen
                      - never run
                      - the remote cache has it: loom run downloads it instead of running it
        stale       sum
                      - needs 'gen', which will run first
                      - never run
        stale       count
                      - needs 'gen', which will run first
                      - never run
        0 up to date, 3 stale

        """, "\(status.stdout)")
        let second = try b.loom("run", "dags/t.yaml")
        #expect(second.status == 0 && second.stdout.contains("0 ran, 3 cached"), "\(second.stdout)\(second.stderr)")
        #expect(second.lines.contains("cached   gen  (remote: never run)"), "\(second.stdout)")
        #expect(a.artifacts() == b.artifacts())
        for (task, file) in [("gen", "n.txt"), ("sum", "sum.txt"), ("count", "c.txt")] {
            #expect(a.read("artifacts/latest/t/\(task)/\(file)") == b.read("artifacts/latest/t/\(task)/\(file)"))
        }
        #expect(b.read("artifacts/latest/t/sum/sum.txt") == "500500\n")
        #expect(try b.lastRun().tasks.first { $0.name == "gen" }?.metrics == ["lines": 1000], "metrics travel with the artifact")
        // And again: now all local.
        #expect(try b.loom("run", "dags/t.yaml").stdout.contains("0 ran, 3 cached"))
    }

    /// The main DAG (built-in kinds through exec-builtin) on a fresh clone: every task served by
    /// the remote, the same build state and the same bytes in every artifact.
    @Test func theShopDAGOnAFreshCloneRunsNothing() throws {
        let prefix = "e2e/" + UUID().uuidString.lowercased()
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let shop = try String(contentsOfFile: repo + "/dags/shop.yaml", encoding: .utf8)
        let a = try project(prefix: prefix), b = try project(prefix: prefix)
        for s in [a, b] { s.write("dags/shop.yaml", shop) }
        let ra = try a.loom("run", "dags/shop.yaml", "-q", "-P", "customers=150")
        #expect(ra.status == 0 && ra.stdout.contains(" 0 cached"), "\(ra.stdout)\(ra.stderr)")
        let rb = try b.loom("run", "dags/shop.yaml", "-q", "-P", "customers=150")
        #expect(rb.status == 0 && rb.stdout.contains(": 0 ran, "), "\(rb.stdout)\(rb.stderr)")
        #expect(a.artifacts(dag: "shop") == b.artifacts(dag: "shop") && !a.artifacts(dag: "shop").isEmpty)
        for (task, _) in a.artifacts(dag: "shop") {
            let files = try FileManager.default.subpathsOfDirectory(atPath: a.root + "/artifacts/latest/shop/" + task).sorted()
            for f in files where !FileSystem.isDirectory(a.root + "/artifacts/latest/shop/\(task)/\(f)") {
                #expect(FileManager.default.contents(atPath: a.root + "/artifacts/latest/shop/\(task)/\(f)")
                        == FileManager.default.contents(atPath: b.root + "/artifacts/latest/shop/\(task)/\(f)"), "\(task)/\(f)")
            }
        }
    }

    @Test func pushAndPull() throws {
        let prefix = "e2e/" + UUID().uuidString.lowercased()
        let a = try project(prefix: prefix)
        let local = try a.loom("run", "dags/t.yaml", "--no-remote")
        #expect(local.status == 0)
        let push = try a.loom("push", "dags/t.yaml")
        #expect(push.status == 0 && push.stdout == "pushed 3 artifacts\n", "\(push.stdout)\(push.stderr)")
        let b = try project(prefix: prefix)
        let pull = try b.loom("pull", "t")
        #expect(pull.status == 0 && pull.stdout.hasPrefix("pulled 3, up to date 0, not in the remote 0"), "\(pull.stdout)\(pull.stderr)")
        #expect(a.artifacts() == b.artifacts())
        // A pull runs nothing: a task the remote does not have stays stale.
        let c = try project(prefix: prefix + "-empty")
        let empty = try c.loom("pull", "t")
        #expect(empty.status == 0 && empty.stdout.hasPrefix("pulled 0, up to date 0, not in the remote 3"), "\(empty.stdout)")
        #expect(try c.loom("status", "t").stdout.contains("0 up to date, 3 stale"))
    }

    @Test func aRemoteThatIsDownIsOneWarningOrExit8() throws {
        let s = Sandbox()
        s.environment = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"]
        s.write("dags/t.yaml", dag)
        #expect(try s.loom("remote", "add", "gone", "s3://loom-test/x", "--endpoint", "http://127.0.0.1:9").status == 0)
        let r = try s.loom("run", "dags/t.yaml")
        #expect(r.status == 0 && r.stdout.contains("3 ran"))
        #expect(r.stderr.components(separatedBy: "warning: the remote cache 'gone'").count == 2, "one warning: \(r.stderr)")
        let required = try s.loom("run", "dags/t.yaml", "--remote-required")
        #expect(required.status == 8 && required.stderr.hasPrefix("error: the remote cache 'gone' (s3://loom-test/x) cannot be used"), "\(required.stderr)")
        #expect(try s.loom("push").status == 8)
    }

    @Test func wrongCredentialsAreRefusedClearly() throws {
        let a = try project(prefix: "e2e/" + UUID().uuidString.lowercased())
        a.environment["AWS_SECRET_ACCESS_KEY"] = "wrong"
        let r = try a.loom("run", "dags/t.yaml", "--remote-required")
        #expect(r.status == 8 && r.stderr.contains("SignatureDoesNotMatch"), "\(r.stderr)")
    }

    /// `loom remote` edits loom.yaml and keeps the user's other lines; bad input is refused.
    @Test func remoteAddListRemove() throws {
        let s = Sandbox()
        s.write("loom.yaml", "# my project\nloom: 1\n")
        #expect(try s.loom("remote", "list").stdout == "no remotes (add one with 'loom remote add NAME s3://BUCKET/PREFIX')\n")
        #expect(try s.loom("remote", "add", "team", "s3://my-bucket/loom/cache", "--region", "eu-west-1").status == 0)
        #expect(try s.loom("remote", "add", "ci", "s3://ci-bucket", "--endpoint", "http://127.0.0.1:8333", "--default").status == 0)
        #expect(s.read("loom.yaml") == """
        # my project
        loom: 1
        remotes:
          team: {url: "s3://my-bucket/loom/cache", region: "eu-west-1"}
          ci: {url: "s3://ci-bucket", endpoint: "http://127.0.0.1:8333"}
        default_remote: ci

        """)
        #expect(try s.loom("remote", "list").stdout == "  team  s3://my-bucket/loom/cache  region eu-west-1\n* ci  s3://ci-bucket  endpoint http://127.0.0.1:8333\n")
        for (args, message) in [(["team", "s3://xyz/y"], "a remote named 'team' exists already"),
                                (["bad name", "s3://my-bucket"], "'bad name' is not a remote name"),
                                (["x", "http://my-bucket"], "expected s3://BUCKET/PREFIX"),
                                (["x", "s3://A_B"], "is not a bucket name"),
                                (["x", "s3://my-bucket/../up"], "'.' and '..' are not allowed"),
                                (["x", "s3://my-bucket", "--endpoint", "ftp://h"], "expected http://HOST[:PORT]")] {
            let r = try s.loom(["remote", "add"] + args)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(try s.loom("remote", "remove", "ci").status == 0)
        #expect(s.read("loom.yaml") == "# my project\nloom: 1\nremotes:\n  team: {url: \"s3://my-bucket/loom/cache\", region: \"eu-west-1\"}\n")
        #expect(try s.loom("remote", "remove", "ci").status == 2)
        #expect(try s.loom("run", "dags/none.yaml", "--remote", "nope").status != 0)
        // A hand-written mistake in loom.yaml is located.
        s.write("loom.yaml", "loom: 1\nremotes:\n  team: {ulr: s3://b}\ndefault_remote: tem\n")
        let bad = try s.loom("remote", "list")
        #expect(bad.status == 3 && bad.stderr.contains("unknown key 'ulr' in remote 'team'") && bad.stderr.contains("default_remote 'tem' is not one of the remotes"), "\(bad.stderr)")
    }
}
