import Foundation

/// The third of the engine's three parts: once a run's tasks are over, writes what it leaves
/// behind in two steps. `record` writes the run record and its report, which trust no key entry
/// and so need not wait for the disk: they are written while the group commit's fsyncs run (on a
/// one-input rebuild the fsync of the join's output took about 5 ms, as long as the record and
/// report together). What trusts the key entries waits for them to be on disk, on the drain's
/// thread, while the record is written: `updateLinks` moves the latest links as soon as they are,
/// then `commit` writes the build state, then the no-op memo (after the state it describes).
/// A crash between the two leaves a record of a run whose results the state does not know yet:
/// the next run finds them by their keys, or runs them again if their entries were not written.
struct RunRecorder {
    let scan: DependencyScan
    let store: ArtifactStore & ActionCache
    let project: Project
    let statePath: String
    let memoPath: String

    var graph: TaskGraph { scan.graph }

    /// Fills `record` from the tasks' reports and writes it and its report.
    func record(_ record: inout RunRecord, reports: [TaskReport?], plan: Plan, interrupted: Bool, started t0: UInt64) throws {
        record.tasks.reserveCapacity(scan.included.count)
        for i in scan.included {
            let n = graph.nodes[i]
            var r = reports[i] ?? TaskReport(name: n.id.name, kind: n.kind, status: .skipped)
            if plan.outcomes[i] == .skipped && r.status != .failed && r.status != .interrupted {
                r.status = .skipped
                r.reasons = interrupted ? ["run interrupted"] : ["not started: a needed task failed or the run stopped"]
            }
            record.tasks.append(r)
        }
        record.duration = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        record.status = interrupted ? .interrupted : record.tasks.contains { $0.status == .failed } ? .failed : .succeeded
        // The report is written on another thread while this one writes the record (a chain of
        // 200 tasks draws its DAG on every no-op run). Both are written whatever the other's fate.
        // It is drawn while this thread makes the run's directory, which a no-op run's record
        // gets only now; each makes sure of it before writing into it.
        let drawn = record, report = Outcome(), reporting = DispatchGroup()
        DispatchQueue.global().async(group: reporting) {
            do { try self.writeReport(drawn) } catch { report.error = error }
        }
        defer { reporting.wait() }
        try project.runs.makeRunDirectory(record.id)
        try project.runs.save(record)
        Stats.mark("run.json")
        reporting.wait()
        Stats.mark("report")
        if let error = report.error { throw error }
    }

    /// How the report's writing ended. A class of its own rather than a generic `Mutex`: freeing
    /// a generic box builds its type's metadata on first use (0.15 ms of a no-op run).
    private final class Outcome: @unchecked Sendable {   // written by the report's thread, read after its group's wait
        var error: (any Error)?
    }

    /// Once every key entry of the run is on disk (`GroupCommit.drain`; on the drain's thread,
    /// while `record` writes the run record): points the latest links at the run's results.
    /// Returns whether the memo's links stamp held before, which `commit` needs. A result whose
    /// key entry could not be made durable gets no link: it runs again next time.
    func updateLinks(reports: [TaskReport?], syncProblems: [String]) -> Bool {
        // A task whose artifact is its memo entry's already has its latest link if the memo's
        // stamp says every entry's link was right and nobody touched `latest/<dag>/` since:
        // skipping 1,000 readlinks keeps no-op runs cheap. Otherwise its link is checked.
        let memo = scan.memo
        let linksRight = memo?.links != nil && memo?.links == store.latestMembership(dag: graph.dagName)?.stamp
        for i in scan.included {
            guard let (_, art) = Self.kept(reports[i], syncProblems: syncProblems) else { continue }
            if !linksRight || memo?.entries[i]?.seal.digest != art {
                store.updateLatest(dag: graph.dagName, task: graph.nodes[i].id.name, digest: art)
            }
        }
        return linksRight
    }

    /// The key and artifact a task's result leaves in the state and latest links: a cached one,
    /// or one that ran if every key entry of the run was made durable.
    static func kept(_ r: TaskReport?, syncProblems: [String]) -> (key: CacheKey, artifact: Digest)? {
        guard let r, r.status == .cached || (r.status == .ran && syncProblems.isEmpty), let key = r.key, let art = r.artifact else { return nil }
        return (key, art)
    }

    /// What `commit` writes: the build state and the memo's entries, computed from the tasks'
    /// reports and whether every key entry was made durable. A run with tasks that ran computes
    /// it while the group commit's last fsyncs run (assuming they succeed: `syncProblems` empty),
    /// so that only the writes wait for the disk; it is computed again after them if they failed.
    struct Prepared: Sendable {
        let state: BuildState
        /// The state's bytes, when they changed.
        let stateBytes: [UInt8]?
        /// The memo's entries and whether entries of tasks this run did not include were kept;
        /// nil when the memo may hold as it is (every included task came from it: `commit`
        /// computes them if the links stamp does not hold) or the graph has no cache key.
        let memo: (entries: [Int: NoopMemo.Entry], keptOthers: Bool, encoded: NoopMemo.EncodedEntries?)?
    }

    func prepare(reports: [TaskReport?], syncProblems: [String]) -> Prepared {
        let newState = newState(reports: reports, syncProblems: syncProblems)
        let memo = allFromMemo ? nil : graph.cacheKey.map { memoEntries(graph: $0, reports: reports, newState: newState.state) }
        return Prepared(state: newState.state, stateBytes: newState.changed ? newState.state.encoded() : nil, memo: memo)
    }

    /// Every included task came from the memo (a no-op run).
    private var allFromMemo: Bool { scan.memo != nil && scan.memoHits.load(ordering: .relaxed) == scan.included.count }

    private func newState(reports: [TaskReport?], syncProblems: [String]) -> (state: BuildState, changed: Bool) {
        var newState = scan.state
        var stateChanged = false
        for i in scan.included {
            // A result whose key entry could not be made durable is left out of the state too:
            // it runs again next time.
            if let (key, art) = Self.kept(reports[i], syncProblems: syncProblems) {
                let built = BuildState.Record(key: key, artifact: art)
                if scan.prior[i] != built {
                    newState.tasks[graph.nodes[i].id.name] = built
                    stateChanged = true
                }
            }
        }
        return (newState, stateChanged)
    }

    /// After `updateLinks`, on the same thread: the build state for the tasks' results, then the
    /// memo.
    func commit(reports: [TaskReport?], syncProblems: [String], linksRight: Bool) throws {
        try commit(prepare(reports: reports, syncProblems: syncProblems), reports: reports, linksRight: linksRight)
    }

    /// `commit` of what `prepare` computed (for the same `syncProblems`).
    func commit(_ p: Prepared, reports: [TaskReport?], linksRight: Bool) throws {
        // The files these replace are deleted later (`FileSystem.replace`): on the run's way out.
        if let bytes = p.stateBytes { try FileSystem.writeAtomically(statePath, bytes, trash: project.storeRoot + "/tmp") }
        // Last: the later the links' stamp is taken, the likelier the clock has left the tick of
        // this run's last link change (see `linksStamp`).
        if let g = graph.cacheKey { try? updateMemo(graph: g, p, reports: reports, linksRight: linksRight) }
    }

    /// The stamp of `latest/<dag>/` to record as trusted, if it can be: the coarse clock must have
    /// left the tick of the directory's last change (see `NoopMemo`). A run that changed a link
    /// just before takes the stamp in that same tick more often than not, and the next run would
    /// then read every latest link again (1,000 readlinks); so, on a file system with sub-second
    /// times, it waits for the next tick (a jiffy, 1-4 ms; at most 20 ms), which a no-op run,
    /// whose links did not change, never does, and neither does a run on a file system with
    /// multigrain timestamps (`StoreMembership.showsLaterChanges`).
    private func linksStamp() -> String? {
        for _ in 0..<20 {
            let clock = NoopMemo.coarseClock()   // before the stamp: see NoopMemo
            guard let m = store.latestMembership(dag: graph.dagName) else { return nil }
            if let trusted = NoopMemo.trusted(m, clockBefore: clock) { return trusted }
            if m.changedAt.nanoseconds == 0 { return nil }   // whole seconds: not worth a wait
            usleep(1000)
        }
        return nil
    }

    /// Writes the memo after the state it describes (a crash in between leaves entries the state no
    /// longer agrees with, which are not used).
    private func updateMemo(graph g: Digest, _ p: Prepared, reports: [TaskReport?], linksRight: Bool) throws {
        let memo = scan.memo
        // Every included task came from the memo and no link moved: it holds as it is.
        if allFromMemo, linksRight { return }
        // Encoded before the stamp is taken (`memoEntries`): time the clock needs to leave the
        // tick anyway.
        let (entries, kept, encoded) = p.memo ?? memoEntries(graph: g, reports: reports, newState: p.state)
        // The links stamp says every entry's latest link is right: this run made sure of the
        // included tasks' links; kept entries' links were right only if the old stamp held.
        var proved = NoopMemo(graph: g, entries: entries)
        proved.links = !kept || linksRight ? linksStamp() : nil
        guard proved != memo else { return }
        try NoopMemo.save(memoPath, entries: encoded ?? proved.encodedEntries(), links: proved.links, trash: project.storeRoot + "/tmp")
    }

    /// The memo's entries for `newState`: each task that ended with the key and artifact now in
    /// the state gets an entry; entries of tasks this run did not include are kept (the state
    /// still decides whether they hold); other entries go. Encoded when they differ from the
    /// memo's.
    private func memoEntries(graph g: Digest, reports: [TaskReport?], newState: BuildState) -> (entries: [Int: NoopMemo.Entry], keptOthers: Bool, encoded: NoopMemo.EncodedEntries?) {
        let memo = scan.memo
        var entries: [Int: NoopMemo.Entry] = [:]
        entries.reserveCapacity(max(scan.included.count, memo?.entries.count ?? 0))
        var included = [Bool](repeating: false, count: graph.nodes.count)
        var artifacts = [Digest?](repeating: nil, count: graph.nodes.count)
        for i in scan.included {
            included[i] = true
            guard let r = reports[i], r.status == .cached || r.status == .ran, let key = r.key, let art = r.artifact,
                  newState.tasks[r.name] == BuildState.Record(key: key, artifact: art) else { continue }
            artifacts[i] = art
        }
        for i in scan.included {
            guard let art = artifacts[i], let r = reports[i], let key = r.key else { continue }
            // Taken from its entry in this run: the entry stands as it is.
            if scan.hit[i] == true, let old = memo?.entries[i], old.key == key, old.seal.digest == art {
                entries[i] = old
                continue
            }
            var upstream: [Digest] = []
            for j in graph.nodes[i].needs { if let d = artifacts[j] { upstream.append(d) } }
            guard upstream.count == graph.nodes[i].needs.count else { continue }
            // Each artifact's seal: the one this run's memo hit just checked, or the store's.
            let seal: NoopMemo.Seal
            if let old = memo?.entries[i], old.seal.digest == art, old.key == key, r.status == .cached, r.manifest == nil, r.reasons.isEmpty {
                seal = old.seal
            } else if let s = store.seal(of: art) {
                seal = NoopMemo.Seal(digest: art, entries: s.entries)
            } else {
                continue
            }
            entries[i] = NoopMemo.Entry(given: NoopMemo.given(files: graph.nodes[i].files, digests: scan.files, upstream: upstream),
                                        key: key, metrics: r.metrics, seal: seal)
        }
        var kept = false
        if let memo {
            for (i, e) in memo.entries where !included[i] {
                entries[i] = e
                kept = true
            }
        }
        let encoded = entries == memo?.entries ? nil : NoopMemo(graph: g, entries: entries).encodedEntries()
        return (entries, kept, encoded)
    }

    /// Writes `report.html` beside the run record (again after gates change the record).
    func writeReport(_ record: RunRecord) throws {
        // Edges are drawn only for DAGs small enough to draw.
        var needs: [String: [String]] = [:]
        if record.tasks.count <= RunReport.maxDrawnTasks {
            for n in graph.nodes { needs[n.id.name] = n.needs.map { graph.nodes[$0].id.name } }
        }
        // A failed task's last log lines are under its row, as they are under its error on the terminal.
        var tails: [String: [String]] = [:]
        for t in record.tasks where t.status == .failed {
            if let log = t.log { tails[t.name] = LogTail.lines(project.runs.directory(record.id) + "/" + log, 20) }
        }
        let path = project.runs.directory(record.id) + "/report.html", html = RunReport.html(record, needs: needs, logTails: tails)
        try project.runs.makeRunDirectory(record.id)   // at once if `record` made it first
        // The first report of a run is a new file; a second one (gates changed the record) replaces it.
        if FileSystem.exists(path) { try FileSystem.writeAtomically(path, html) } else { try FileSystem.writeNew(path, html) }
    }
}
