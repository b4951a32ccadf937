/// Task templates: a task with `matrix:` stands for one task per combination of its values, as
/// DVC's `matrix` stages and Snakemake's wildcards do.
///
/// ```yaml
/// train:
///   kind: train
///   matrix: {model: [logistic, gbdt]}
///   params: {model: "{{item.model}}"}
/// evaluate:
///   kind: evaluate
///   matrix: {model: [logistic, gbdt]}
///   needs: ["train.{{item.model}}"]   # one instance each
/// report:
///   kind: report
///   needs: [train]                    # every instance
/// ```
///
/// - Instances are named `TEMPLATE.V1.V2...`, one part per matrix name in the order written, and
///   listed at the template's place in that order (the first name varies slowest). A part is the
///   value's text, or its position (0, 1, ...) for every value of a name when one value's text
///   could not stand in a task name (`data/a.csv`, `a b`).
/// - `{{item.NAME}}` takes the instance's value in `cmd` (quoted for its place like a param),
///   params (a param that is exactly the placeholder takes the typed value), `env`, `files`,
///   `outputs`, `needs` and `description`. A shell task's values enter its key as params
///   `item.NAME`; a built-in task's through the params they fill.
/// - In `needs`, a template's name stands for all its instances; an instance is named as above.
///   On the command line, a template's name selects all its instances too.
extension GraphBuilder {
    /// The most instances one template may expand to: more is a typo in a grid, not a pipeline.
    public static let maxInstances = 10_000

    /// `tasks` with each template replaced by its instances and every `needs` entry that names
    /// a template replaced by its instances' names (problems go to `diagnostics`).
    mutating func expandMatrices(_ tasks: [TaskSpec]) -> [TaskSpec] {
        guard tasks.contains(where: { !$0.matrix.isEmpty }) else { return tasks }
        var expanded: [TaskSpec] = []
        var instances: [String: [String]] = [:]
        var declared = Set(tasks.filter { $0.matrix.isEmpty }.map(\.name.value))
        for t in tasks {
            guard !t.matrix.isEmpty else { expanded.append(t); continue }
            let count = t.matrix.reduce(1) { n, axis in n > Self.maxInstances ? n : n * max(axis.values.count, 1) }
            guard count <= Self.maxInstances else {
                diagnostics.append(.error("task '\(t.name.value)': its matrix makes \(count > Self.maxInstances ? "more than \(Self.maxInstances)" : "\(count)") tasks (at most \(Self.maxInstances))",
                                          at: t.keyLocations["matrix"].map { Located((), at: $0, length: 6) } ?? t.name.map { _ in () }))
                continue
            }
            guard t.matrix.allSatisfy({ !$0.values.isEmpty }) else { continue }   // reported by the parser
            let parts = t.matrix.map { axis -> [String] in
                let texts = axis.values.map(\.value.plainText)
                return texts.allSatisfy(Self.isNamePart) ? texts : axis.values.indices.map(String.init)
            }
            var names: [String] = []
            for combination in Self.combinations(t.matrix.map(\.values.count)) {
                var instance = t
                let name = ([t.name.value] + combination.enumerated().map { parts[$0.offset][$0.element] }).joined(separator: ".")
                instance.name = Located(name, at: t.name.location, length: t.name.length)
                instance.matrix = []
                instance.template = t.name.value
                for (axis, k) in zip(t.matrix, combination) { instance.items[axis.name.value] = axis.values[k].value }
                if !declared.insert(name).inserted {
                    diagnostics.append(.error("task '\(t.name.value)': its matrix makes a task '\(name)', and there is already one", at: t.name))
                    continue
                }
                names.append(name)
                expanded.append(instance)
            }
            instances[t.name.value] = names
        }
        for i in expanded.indices {
            let t = expanded[i]
            expanded[i].needs = t.needs.flatMap { need -> [Located<String>] in
                var name = need.value
                if name.contains("{{") {
                    guard checkItems(name, at: need, task: t) else { return [] }
                    name = Interpolation.render(name) { t.items[String($0.dropFirst(Interpolation.itemPrefix.count))] }
                }
                guard let all = instances[name] else { return [need.map { _ in name }] }
                return all.map { instance in need.map { _ in instance } }
            }
            if let d = t.description, !t.items.isEmpty {
                expanded[i].description = Interpolation.render(d) { t.items[String($0.dropFirst(Interpolation.itemPrefix.count))] }
            }
        }
        return expanded
    }

    /// Text with `{{item.NAME}}` filled in (files, outputs): the instance's values, as text.
    mutating func fillItems(_ s: Located<String>, task t: TaskSpec) -> Located<String> {
        guard s.value.contains("{{") else { return s }
        checkItems(s.value, at: s, task: t)
        return s.map { Interpolation.render($0) { t.items[String($0.dropFirst(Interpolation.itemPrefix.count))] } }
    }

    /// Problems of `{{item.NAME}}` placeholders in text that takes no DAG params (needs, files);
    /// false when there were any.
    @discardableResult
    mutating func checkItems<T>(_ s: String, at loc: Located<T>, task t: TaskSpec) -> Bool {
        let before = diagnostics.count
        let params = Interpolation.references(s).filter { !$0.isItem }.map(\.name)
        checkReferences(s, at: loc, known: t.items.keys.map { Interpolation.itemPrefix + $0 } + params, task: t)
        for r in Interpolation.references(s) where !r.isItem {
            diagnostics.append(Diagnostic(.error, "\(r.written) cannot stand here: task names and paths take only matrix values ({{item.NAME}})",
                                          at: location(of: r, in: s, at: loc), length: r.length))
        }
        return diagnostics.count == before
    }

    /// Every combination of positions for lists of these sizes, the first list varying slowest.
    static func combinations(_ sizes: [Int]) -> [[Int]] {
        sizes.reduce([[]]) { partial, size in partial.flatMap { prefix in (0..<size).map { prefix + [$0] } } }
    }

    /// Text that can stand between dots in a task name.
    static func isNamePart(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || $0 == "." || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
