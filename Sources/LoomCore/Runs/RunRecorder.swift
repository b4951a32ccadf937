import Foundation

/// The third of the engine's three parts: once a run's tasks are over, writes what it leaves
/// behind, in this order: latest links and the build state (after every key entry is on disk),
/// the no-op memo (after the state it describes), the run record and its report.
struct RunRecorder {
    let scan: DependencyScan
    let store: ArtifactStore & ActionCache
    let project: Project
    let statePath: String
    let memoPath: String

    var graph: TaskGraph { scan.graph }

    /// Fills `record` from the tasks' reports and writes everything; returns the record.
    func finish(_ record: inout RunRecord, reports: [TaskReport?], plan: Plan, interrupted: Bool, syncProblems: [String],
                options: RunOptions, started t0: UInt64) throws {
        let inc = scan.included
        var newState = scan.state
        var stateChanged = false
        record.tasks.reserveCapacity(inc.count)
        // A task whose artifact is the one recorded last time already has its latest link if the
        // memo's run left every link right and nobody touched `latest/<dag>/` since (its stamp):
        // skipping 1,000 readlinks keeps no-op runs cheap. Otherwise every link is checked.
        let memo = scan.memo
        let linksStamp = store.latestMembership(dag: graph.dagName)
        let linksRight = memo?.links != nil && memo?.links == linksStamp?.stamp
        for i in inc {
            let n = graph.nodes[i]
            var r = reports[i] ?? TaskReport(name: n.id.name, kind: n.kind, status: .skipped)
            if plan.outcomes[i] == .skipped && r.status != .failed && r.status != .interrupted {
                r.status = .skipped
                r.reasons = interrupted ? ["run interrupted"] : ["not started: a needed task failed or the run stopped"]
            }
            // A result whose key entry could not be made durable is left out of the state too:
            // it runs again next time.
            if r.status == .cached || (r.status == .ran && syncProblems.isEmpty), let key = r.key, let art = r.artifact {
                if !linksRight || scan.prior[i]?.artifact != art {
                    store.updateLatest(dag: graph.dagName, task: n.id.name, digest: art)
                }
                let built = BuildState.Record(key: key, artifact: art)
                if scan.prior[i] != built {
                    newState.tasks[n.id.name] = built
                    stateChanged = true
                }
            }
            record.tasks.append(r)
        }
        var savedState = scan.stateDigest
        if stateChanged {
            let bytes = newState.encoded()
            try FileSystem.writeAtomically(statePath, bytes)
            savedState = Digest(of: bytes)
        }
        record.duration = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        record.status = interrupted ? .interrupted : record.tasks.contains { $0.status == .failed } ? .failed : .succeeded
        // After the state it describes: a crash in between leaves a memo whose fingerprint no
        // longer matches. Only a run in which every included task ended with the key and artifact
        // now in the state proves anything.
        if let g = graph.cacheKey, record.status == .succeeded,
           record.tasks.allSatisfy({ r in
               guard r.status == .cached || r.status == .ran, let key = r.key, let art = r.artifact else { return false }
               return newState.tasks[r.name] == BuildState.Record(key: key, artifact: art)
           }) {
            var metrics: [Int: [String: Double]] = [:]
            var seals: [Int: NoopMemo.Seal] = [:]
            for (i, r) in zip(inc, record.tasks) {
                metrics[i] = r.metrics
                guard let art = r.artifact else { continue }
                // Each artifact's seal: the one this run's memo hit just checked, or the store's.
                if let old = memo?.seals[i], old.digest == art, r.status == .cached, r.manifest == nil, r.reasons.isEmpty {
                    seals[i] = old
                } else if let seal = store.seal(of: art) {
                    seals[i] = NoopMemo.Seal(digest: art, entries: seal.entries)
                }
            }
            let clock = NoopMemo.coarseClock()   // before the stamp: see NoopMemo
            let proved = NoopMemo(fingerprint: NoopMemo.fingerprint(graph: g, targets: options.targets, files: scan.files, state: savedState),
                                  links: NoopMemo.trusted(store.latestMembership(dag: graph.dagName), clockBefore: clock),
                                  metrics: metrics, seals: seals)
            if proved != memo { try? proved.save(memoPath) }
        }
        try project.runs.save(record)
        try writeReport(record)
    }

    /// Writes `report.html` beside the run record (again after gates change the record).
    func writeReport(_ record: RunRecord) throws {
        // Edges are drawn only for DAGs small enough to draw.
        var needs: [String: [String]] = [:]
        if record.tasks.count <= RunReport.maxDrawnTasks {
            for n in graph.nodes { needs[n.id.name] = n.needs.map { graph.nodes[$0].id.name } }
        }
        let path = project.runs.directory(record.id) + "/report.html", html = RunReport.html(record, needs: needs)
        // The first report of a run is a new file; a second one (gates changed the record) replaces it.
        if FileSystem.exists(path) { try FileSystem.writeAtomically(path, html) } else { try FileSystem.writeNew(path, html) }
    }
}
