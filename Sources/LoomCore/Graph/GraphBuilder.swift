import Foundation

/// `DAGSpec` -> `TaskGraph`: checks names, kinds, needs, cycles, params, interpolation, declared
/// files and outputs, and `-P` overrides. Collects every problem, then fails once.
public struct GraphBuilder {
    public let registry: KindRegistry
    public let projectRoot: String
    var diagnostics: [Diagnostic] = []
    /// Problems already reported for an instance of a template, with the instance's name
    /// replaced by the template's: the same mistake in every instance is reported once.
    var templateProblems = Set<String>()
    /// The DAG's `params` had problems the parser reported: placeholders naming params it
    /// dropped are not reported again as unknown.
    var dagParamsInvalid = false

    public init(registry: KindRegistry, projectRoot: String) {
        self.registry = registry
        self.projectRoot = projectRoot
    }

    /// A DAG's short name from its path: the file name without extension, with the directories
    /// below `dags/` kept (`dags/team/a.yaml` -> `team-a`).
    public static func dagName(_ path: String) -> String {
        var p = path
        if p.hasPrefix("./") { p.removeFirst(2) }
        if p.hasPrefix("dags/") { p.removeFirst(5) }
        if let dot = p.lastIndex(of: "."), !p[dot...].contains("/") { p = String(p[..<dot]) }
        // By hand: Foundation's `replacingOccurrences` cost 0.4 ms on its first use in a process,
        // and the generic `map` 0.02 ms.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(p.utf8.count)
        for b in p.utf8 { bytes.append(b == UInt8(ascii: "/") ? UInt8(ascii: "-") : b) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `prior`: the parser's problems with this spec (`SpecParser.parsePartially`), reported with
    /// the builder's own in one list.
    public mutating func build(_ spec: DAGSpec, digest: Digest, overrides: [(name: String, value: String)], prior: [Diagnostic] = []) throws -> TaskGraph {
        diagnostics = prior
        dagParamsInvalid = spec.invalidKeys.contains("params")
        let params = resolveParams(spec, overrides: overrides)
        let tasks = expandMatrices(spec.tasks)
        var byName: [String: Int] = [:]
        for (i, t) in tasks.enumerated() { byName[t.name.value] = i }
        var nodes: [TaskNode] = []
        let names = tasks.map(\.name.value)
        for (i, t) in tasks.enumerated() {
            if let n = node(t, index: i, byName: byName, dagParams: params, names: names) { nodes.append(n) }
        }
        // Cycles through the needs as written, also when some tasks had other problems.
        let written = tasks.enumerated().map { i, t -> [Int] in
            var seen = Set<Int>()
            return t.needs.compactMap { byName[$0.value] }.filter { $0 != i && seen.insert($0).inserted }
        }
        let order = topologicalOrder(needs: written, tasks: tasks)
        if !diagnostics.isEmpty { throw DiagnosticError(distinctDiagnostics) }
        // Renumber in topological order.
        var newIndex = [Int](repeating: 0, count: nodes.count)
        for (pos, old) in order.enumerated() { newIndex[old] = pos }
        var sorted: [TaskNode] = order.map { nodes[$0] }
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for i in sorted.indices {
            sorted[i].index = i
            sorted[i].needs = sorted[i].needs.map { newIndex[$0] }
            for n in sorted[i].needs { dependents[n].append(i) }
        }
        return TaskGraph(dagPath: spec.path, dagName: Self.dagName(spec.path), dagDigest: digest, params: params,
                         overridden: overrides.map(\.name), nodes: sorted, dependents: dependents)
    }

    /// The problems found, each once: every instance of a template repeats the template's.
    var distinctDiagnostics: [Diagnostic] {
        var seen = Set<String>()
        return diagnostics.filter { d in
            seen.insert("\(d.severity) \(d.location.map(String.init(describing:)) ?? "") \(d.length) \(d.message)\u{0}\(d.notes.joined(separator: "\u{0}"))").inserted
        }
    }

    // MARK: Params

    mutating func resolveParams(_ spec: DAGSpec, overrides: [(name: String, value: String)]) -> [String: ParamValue] {
        var params: [String: ParamValue] = [:]
        var locations: [String: SourceLocation] = [:]
        for p in spec.params {
            if !Interpolation.isName(p.name.value) {
                diagnostics.append(.error("param name '\(p.name.value)' may only use letters, digits, '_' and '-'", at: p.name))
            }
            params[p.name.value] = p.value.value
            locations[p.name.value] = p.value.location
        }
        for o in overrides {
            guard let current = params[o.name] else {
                let known = params.keys.sorted()
                diagnostics.append(Diagnostic(.error, "-P \(o.name)=\(o.value): the DAG has no param '\(o.name)'"
                    + (known.isEmpty ? "" : " (params: \(known.joined(separator: ", ")))"), notes: Suggestion.notes(for: o.name, in: known)))
                continue
            }
            guard let v = ParamValue.parse(o.value, like: current) else {
                diagnostics.append(Diagnostic(.error, "-P \(o.name)=\(o.value): expected \(current.typeName), like the default \(current.canonical) at \(locations[o.name]!)"))
                continue
            }
            params[o.name] = v
        }
        return params
    }

    // MARK: Tasks

    mutating func node(_ t: TaskSpec, index: Int, byName: [String: Int], dagParams: [String: ParamValue], names: [String]) -> TaskNode? {
        let name = t.name.value
        let before = diagnostics.count
        if !isTaskName(name) {
            diagnostics.append(.error("task name '\(name)' may only use letters, digits, '_', '-' and '.' (and not start with '.' or '-')", at: t.name))
        }
        guard let kind = t.kind else {
            if t.invalidKeys.contains("kind") { return nil }   // the parser said why
            diagnostics.append(.error("task '\(name)' has no 'kind' (use 'shell' or one of: \(registry.names.joined(separator: ", ")))", at: t.name))
            return nil
        }
        let isShell = kind.value == KindRegistry.shell
        let descriptor = registry[kind.value]
        if !isShell && descriptor == nil {
            diagnostics.append(.error("task '\(name)' has unknown kind '\(kind.value)'", at: kind,
                                      notes: Suggestion.notes(for: kind.value, in: registry.names)))
        }
        // needs
        var needs: [Int] = []
        var needed = Set<Int>()   // not `needs.contains`: quadratic in a list that repeats one name
        for n in t.needs {
            if n.value == name {
                diagnostics.append(.error("task '\(name)' needs itself", at: n))
            } else if let j = byName[n.value] {
                if !needed.insert(j).inserted { diagnostics.append(.error("task '\(name)' needs '\(n.value)' twice", at: n)) } else { needs.append(j) }
            } else {
                diagnostics.append(.error("task '\(name)' needs unknown task '\(n.value)'", at: n, notes: Suggestion.notes(for: n.value, in: names)))
            }
        }
        // params, with {{params.x}} from the DAG and {{item.x}} from the task's matrix
        var scope = dagParams
        for (k, v) in t.items { scope[Interpolation.itemPrefix + k] = v }
        var params: [String: ParamValue] = [:]
        for p in t.params {
            params[p.name.value] = substitute(p.value.value, at: p.value, dagParams: scope, task: t)
        }
        var command: String?
        var rendered: String?
        var projectFiles: [String] = []
        var env: [String: String] = [:]
        if isShell {
            if let cmd = t.cmd {
                checkReferences(cmd.value, at: cmd, known: scope.keys.sorted() + params.keys.sorted(), task: t)
                // Shell tasks' own params shadow DAG params of the same name.
                let lookup: (String) -> ParamValue? = { params[$0] ?? scope[$0] }
                for r in Interpolation.references(cmd.value) where params[r.name] == nil { params[r.name] = scope[r.name] }
                command = cmd.value
                // Each value is quoted for where it stands in the command, or refused there.
                let (text, refused) = ShellQuoting.render(cmd.value, lookup: lookup)
                rendered = text
                for r in refused {
                    diagnostics.append(Diagnostic(.error, "task '\(name)': \(r.message)", at: location(of: r.reference, in: cmd.value, at: cmd),
                                                  length: r.reference.length, notes: r.notes))
                }
                for e in t.env {
                    let text = e.value.value.plainText
                    checkReferences(text, at: e.value, known: scope.keys.sorted() + params.keys.sorted(), task: t)
                    for r in Interpolation.references(text) where params[r.name] == nil { params[r.name] = scope[r.name] }
                    env[e.name.value] = Interpolation.render(text, lookup: lookup)
                }
            } else if !t.invalidKeys.contains("cmd") {
                diagnostics.append(.error("shell task '\(name)' has no 'cmd'", at: t.name))
            }
        } else {
            if descriptor != nil, let cmd = t.cmd {
                diagnostics.append(.error("'cmd' is only for shell tasks; task '\(name)' has kind '\(kind.value)'", at: cmd))
            }
            if descriptor != nil, let e = t.env.first {
                diagnostics.append(.error("'env' is only for shell tasks; task '\(name)' has kind '\(kind.value)'", at: e.name))
            }
            if let d = descriptor, diagnostics.count == before, !t.invalidKeys.contains("params") {
                // The key holds every declared param with its default applied (but those at a
                // legacy value, see `ParamSpec.legacy`).
                switch d.resolve(params) {
                case .problems(let problems): report(problems, t)
                case .values(let resolved):
                    params = d.keyed(resolved)
                    report(d.check(resolved), t)
                    projectFiles = self.projectFiles(d, resolved, t)
                }
            }
        }
        var files = t.files.compactMap { checkFile(fillItems($0, task: t), task: name) }
        for f in projectFiles where !files.contains(f) { files.append(f) }
        let outputs = t.outputs.compactMap { written -> String? in
            let o = fillItems(written, task: t)
            guard let p = Self.outputPath(o.value) else {
                diagnostics.append(.error("output path '\(o.value)' of task '\(name)' would escape $LOOM_OUT (use a relative path without '..')", at: o))
                return nil
            }
            return p
        }
        if let template = t.template, diagnostics.count > before {
            let fresh = diagnostics[before...].filter { d in
                let general = d.message.replacingOccurrences(of: "'\(name)'", with: "'\(template)'")
                return templateProblems.insert("\(d.location.map(String.init(describing:)) ?? "") \(d.length) \(general)").inserted
            }
            diagnostics.removeSubrange(before...)
            diagnostics.append(contentsOf: fresh)
            if fresh.isEmpty { return nil }
        }
        guard diagnostics.count == before else { return nil }
        var layouts: [String: TextLayout] = [:]
        if descriptor != nil {
            for p in t.params {
                guard let layout = p.layout, case .string(let written) = p.value.value, !written.contains("{{") else { continue }
                layouts[p.name.value] = layout
            }
        }
        var node = TaskNode(id: TaskID(name), index: index, kind: kind.value,
                        kindVersion: isShell ? KindRegistry.shellVersion : descriptor?.version ?? 0,
                        params: params, needs: needs, command: command, renderedCommand: rendered, env: env,
                        files: files, outputs: outputs, timeout: t.timeout?.value, retries: t.retries?.value ?? 0,
                        location: t.name.location, resources: t.resources)
        node.layouts = layouts
        node.template = t.template
        return node
    }

    func isTaskName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f != ".", f != "-" else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || $0 == "." || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// A string that is exactly `{{params.x}}` takes x's typed value; other strings substitute text.
    mutating func substitute(_ v: ParamValue, at loc: Located<ParamValue>, dagParams: [String: ParamValue], task: TaskSpec) -> ParamValue {
        switch v {
        case .string(let s):
            checkReferences(s, at: loc, known: dagParams.keys.sorted(), task: task)
            let pieces = Interpolation.pieces(s)
            if pieces.count == 1, case .reference(let r) = pieces[0], let value = dagParams[r.name] { return value }
            return .string(Interpolation.render(s) { dagParams[$0] })
        case .list(let items): return .list(items.map { substitute($0, at: loc, dagParams: dagParams, task: task) })
        case .map(let m): return .map(m.mapValues { substitute($0, at: loc, dagParams: dagParams, task: task) })
        default: return v
        }
    }

    /// Misspelled and unknown placeholders in `s`: DAG params, and `task`'s matrix values.
    mutating func checkReferences<T>(_ s: String, at loc: Located<T>, known: [String], task: TaskSpec) {
        let axes = task.items.keys.sorted()
        for r in Interpolation.lookalikes(s, items: !axes.isEmpty) {
            let written = String(String.UnicodeScalarView(Array(s.unicodeScalars)[r.offset..<(r.offset + r.length)]))
            let kind = r.isItem ? "matrix values are written {{item.NAME}}" : "placeholders are written {{params.NAME}}"
            diagnostics.append(Diagnostic(.error, "'\(written)' is not a placeholder: \(kind)", at: location(of: r, in: s, at: loc),
                                          length: r.length, notes: ["did you mean '\(r.written)'?"]))
        }
        for r in Interpolation.references(s) where !known.contains(r.name) {
            let at = location(of: r, in: s, at: loc)
            if r.isItem {
                let axis = String(r.name.dropFirst(Interpolation.itemPrefix.count))
                if axes.isEmpty {
                    diagnostics.append(Diagnostic(.error, "'\(r.written)' is only for a task with a 'matrix:' (task '\(task.name.value)' has none)", at: at, length: r.length))
                } else {
                    diagnostics.append(Diagnostic(.error, "unknown matrix name '\(axis)' in '\(r.written)' (task '\(task.template ?? task.name.value)' has: \(axes.joined(separator: ", ")))",
                                                  at: at, length: r.length, notes: Suggestion.notes(for: axis, in: axes)))
                }
            } else if !dagParamsInvalid {
                diagnostics.append(Diagnostic(.error, "unknown param '\(r.name)' in '\(r.written)'", at: at, length: r.length,
                                              notes: Suggestion.notes(for: r.name, in: known.filter { !$0.hasPrefix(Interpolation.itemPrefix) })))
            }
        }
    }

    /// Where a placeholder of string `s` (written at `loc`) is: inside the string when it sits on
    /// one line (quoted scalars start one column early), else at the string.
    func location<T>(of r: Interpolation.Reference, in s: String, at loc: Located<T>) -> SourceLocation {
        var at = loc.location
        if !s.contains("\n") { at.column += r.offset + (loc.length == s.unicodeScalars.count + 2 ? 1 : 0) }
        return at
    }

    /// Problems of a built-in task's params, each pointing at the offending place inside the
    /// param's text, else at the param, else at the task's `params:` key, else at its name.
    mutating func report(_ problems: [ParamProblem], _ t: TaskSpec) {
        for problem in problems {
            let entry = t.params.first { $0.name.value == problem.param }
            var location = entry?.name.location ?? t.keyLocations["params"] ?? t.name.location
            var length = entry?.name.length ?? (t.keyLocations["params"] != nil ? 6 : t.name.length)
            // Inside the param's text when the problem knows where and the text is as written
            // (a placeholder's value would shift every position after it).
            if let place = problem.place, let entry, case .string(let written) = entry.value.value, !written.contains("{{"),
               let at = entry.layout?.location(line: place.line, column: place.column) {
                location = at
                length = place.length
            }
            diagnostics.append(Diagnostic(.error, "task '\(t.name.value)': \(problem.message)", at: location, length: length, notes: problem.notes))
        }
    }

    /// The project files a built-in task's params name (`ParamSpec.projectFile`), checked like
    /// declared files: they enter the key by content.
    mutating func projectFiles(_ d: KindDescriptor, _ params: [String: ParamValue], _ t: TaskSpec) -> [String] {
        d.params.compactMap { s -> String? in
            guard let rule = s.projectFile, case .string(let path)? = params[s.name] else { return nil }
            if case .unlessSet(let other) = rule, let v = params[other], v != .null { return nil }
            let entry = t.params.first { $0.name.value == s.name }
            let at = entry.map { $0.value.map { _ in path } } ?? Located(path, at: t.name.location, length: t.name.length)
            return checkFile(at, task: t.name.value, param: s.name)
        }
    }

    /// A declared input (or a file a param names) must exist inside the project, also after
    /// following symbolic links.
    mutating func checkFile(_ f: Located<String>, task: String, param: String? = nil) -> String? {
        let what = param.map { "file '\(f.value)' (param '\($0)' of task '\(task)')" } ?? "declared file '\(f.value)' of task '\(task)'"
        let notes = param == nil ? [] : ["a task reads only files inside the project, so that they enter its key; copy the file into the project"]
        let abs = FileSystem.absolute(f.value, base: projectRoot)
        guard abs == projectRoot || abs.hasPrefix(projectRoot + "/") else {
            diagnostics.append(.error("\(what) is outside the project", at: f, notes: notes))
            return nil
        }
        guard FileSystem.exists(abs) else {
            diagnostics.append(.error("\(what) does not exist", at: f))
            return nil
        }
        let realRoot = Self.resolvingLinks(projectRoot), real = Self.resolvingLinks(abs)
        guard real == realRoot || real.hasPrefix(realRoot + "/") else {
            diagnostics.append(.error("\(what) is a symbolic link to \(real), outside the project", at: f, notes: notes))
            return nil
        }
        return abs == projectRoot ? "." : String(abs.dropFirst(projectRoot.count + 1))
    }

    static func resolvingLinks(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// A path inside $LOOM_OUT: relative, no `..`; nil when it would escape.
    public static func outputPath(_ p: String) -> String? {
        guard !p.isEmpty, !p.hasPrefix("/"), !p.hasPrefix("~") else { return nil }
        let parts = p.split(separator: "/").filter { $0 != "." }
        guard !parts.isEmpty, !parts.contains("..") else { return nil }
        return parts.joined(separator: "/")
    }

    // MARK: Order

    /// Kahn's algorithm taking ready tasks in file order; on a cycle, reports it as a path.
    mutating func topologicalOrder(needs: [[Int]], tasks: [TaskSpec]) -> [Int] {
        var pending = needs.map(\.count)
        var dependents = [[Int]](repeating: [], count: needs.count)
        for (i, n) in needs.enumerated() { for d in n { dependents[d].append(i) } }
        var ready = (0..<needs.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        while !ready.isEmpty {
            ready.sort(by: >)
            let i = ready.removeLast()
            order.append(i)
            for d in dependents[i] {
                pending[d] -= 1
                if pending[d] == 0 { ready.append(d) }
            }
        }
        if order.count < needs.count {
            let cycle = findCycle(needs, remaining: Set((0..<needs.count).filter { pending[$0] > 0 }))
            let path = (cycle + [cycle[0]]).map { tasks[$0].name.value }.joined(separator: " -> ")
            let first = tasks[cycle[0]]
            diagnostics.append(.error("dependency cycle: \(path)", at: first.name))
        }
        return order
    }

    func findCycle(_ needs: [[Int]], remaining: Set<Int>) -> [Int] {
        // Walk needs from the first remaining task until a task repeats: that loop is a cycle.
        var path: [Int] = []
        var current = remaining.min()!
        while !path.contains(current) {
            path.append(current)
            current = needs[current].filter { remaining.contains($0) }.min()!
        }
        let loop = Array(path[path.firstIndex(of: current)!...])
        // Start the printed cycle at its first task in file order.
        let start = loop.firstIndex(of: loop.min()!)!
        return Array(loop[start...] + loop[..<start])
    }
}

extension Located {
    func map<U>(_ f: (Value) -> U) -> Located<U> { Located<U>(f(value), at: location, length: length) }
}
