// CYaml is the LibYAML that Yams bundles (a C target of the Yams package; SwiftPM makes a
// dependency's C modules importable). Yams keeps its event stream private, so the scan below reads
// LibYAML's events itself.
import CYaml

/// Bounds on a DAG file's YAML, checked on LibYAML's event stream before Yams builds a tree:
/// nothing is allocated per node, so a small file cannot make Loom build a huge one.
///
/// - Nesting: collections at most `maxDepth` deep, aliases counted as what they stand for.
/// - Aliases: every `*name` stands for a copy of what `&name` holds, so a few lines of aliases of
///   aliases expand to billions of values (each level of nine aliases multiplies by nine); all
///   aliases of a file together may add at most `maxAliasedValues` values.
public enum YAMLLimits {
    /// The deepest nesting of mappings and lists in a DAG file. A DAG's own structure is 5 deep
    /// (file, `tasks`, task, `params`, a param's value), so 32 leaves 27 levels for a param's value,
    /// more than any real one; and a value this deep stays well inside `JSON.maxDepth` (64) once it
    /// sits in a run record or key manifest (about 6 levels), so every file Loom writes from it
    /// reads back.
    public static let maxDepth = 32

    /// The most values (scalars, lists, mappings) all aliases of one DAG file may add when expanded.
    /// Ordinary uses (a shared `params` block, a repeated `env`) add tens to thousands; a
    /// 30,000-task DAG of the benchmark's shape has about 250,000 values in all, so a million aliased
    /// values is past anything legitimate, while expanding a million costs well under a second.
    public static let maxAliasedValues = 1_000_000

    /// The first limit the text exceeds, as a diagnostic at the place that exceeds it; nil when the
    /// text is within limits or is not valid YAML (the parser that follows reports that).
    public static func check(_ text: String, path: String) -> Diagnostic? {
        scan(text, path: path).problem
    }

    /// Reads the whole event stream (up to the first problem or YAML error): what `check` decides
    /// on, and the measures tests compare with the tree Yams builds.
    static func scan(_ text: String, path: String) -> Scan {
        var text = text
        return text.withUTF8 { bytes in
            var scan = Scan(path: path)
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return scan }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                scan.problem = scan.take(event)
                if scan.problem != nil { break }
            }
            return scan
        }
    }

    /// The expanded size and height (in collection levels) of every open collection and every
    /// anchor seen so far.
    struct Scan {
        struct Open { var values = 1; var height = 1; var anchor: String? }
        let path: String
        var open: [Open] = []
        /// Values and height of each anchored node (a later anchor of the same name replaces it, as in YAML).
        var anchors: [String: (values: Int, height: Int)] = [:]
        var aliased = 0
        /// Every value of the documents with aliases expanded, and the deepest collection level.
        var values = 0, deepest = 0
        var problem: Diagnostic?

        init(path: String) { self.path = path }

        mutating func take(_ e: yaml_event_t) -> Diagnostic? {
            switch e.type {
            case YAML_SCALAR_EVENT:
                values += 1
                close(values: 1, height: 0, anchor: Self.name(e.data.scalar.anchor))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let anchor = Self.name(e.type == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor : e.data.mapping_start.anchor)
                open.append(Open(anchor: anchor))
                values += 1
                deepest = max(deepest, open.count)
                if open.count > YAMLLimits.maxDepth { return tooDeep(e.start_mark) }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let o = open.popLast() else { return nil }
                close(values: o.values, height: o.height, anchor: o.anchor)
            case YAML_ALIAS_EVENT:
                // An unknown alias is the parser's error to report; count it as one value.
                let (values, height) = Self.name(e.data.alias.anchor).flatMap { anchors[$0] } ?? (1, 0)
                aliased += values
                self.values += values
                deepest = max(deepest, open.count + height)
                if aliased > YAMLLimits.maxAliasedValues {
                    return Diagnostic(.error, "aliases in this file expand to more than \(DiagnosticRenderer.grouped(YAMLLimits.maxAliasedValues)) values"
                        + " (each '*name' repeats everything its '&name' holds)", at: location(e.start_mark),
                        notes: ["write the values out, or use fewer levels of aliases of aliases"])
                }
                if open.count + height > YAMLLimits.maxDepth { return tooDeep(e.start_mark) }
                close(values: values, height: height, anchor: nil)
            default:
                break
            }
            return nil
        }

        /// A finished node: record it under its anchor and count it in the collection around it.
        /// (Sizes stay at most `maxAliasedValues` plus the file's own node count, so no sum overflows.)
        mutating func close(values: Int, height: Int, anchor: String?) {
            if let anchor { anchors[anchor] = (values, height) }
            guard !open.isEmpty else { return }
            open[open.count - 1].values += values
            open[open.count - 1].height = max(open[open.count - 1].height, height + 1)
        }

        func tooDeep(_ mark: yaml_mark_t) -> Diagnostic {
            Diagnostic(.error, "mappings and lists nested more than \(YAMLLimits.maxDepth) deep", at: location(mark))
        }

        func location(_ m: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: path, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }

        static func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }
    }
}
