import LoomAnalytics
import LoomCore

/// Param declarations several kinds share, declared here once.
extension ParamSpec {
    /// A `yyyy-mm-dd` day, checked against the calendar.
    static func date(_ name: String, _ default: Default = .required, _ doc: String) -> ParamSpec {
        ParamSpec(name, .date, `default`, doc, check: { v in
            guard case .string(let s) = v, CivilDate.parse(s) == nil else { return nil }
            return "must be a date like 2019-10-01, got '\(s)'"
        })
    }

    /// `input` of a kind that reads one needed task: the only need when unset.
    static func soleInput(_ doc: String) -> ParamSpec { ParamSpec("input", .string, .unset("the only need"), doc) }

    /// `input` of a kind whose FILE is a project file unless INPUT names a needed task.
    static let optionalInput = ParamSpec("input", .string, .unset("none: FILE is a project file"), "a needed task whose artifact holds FILE")

    /// `file` of a kind that reads a project file, or a file of INPUT's artifact when INPUT is set.
    static func projectOrInputFile(_ doc: String) -> ParamSpec {
        ParamSpec("file", .string, .required, doc + ": a path in the project (hashed into the key) when INPUT is unset, else a file of INPUT's artifact",
                  projectFile: .unlessSet("input"))
    }

    /// `time_format` of the ingest kinds.
    static let timeFormat = ParamSpec("time_format", .string, .value(.string(TimeFormat.auto.rawValue)),
                                      "yyyymmdd; yyyy-mm-dd; datetime (2019-10-01 00:00:00 UTC); epoch seconds; auto: whichever of these fits the first value",
                                      choices: TimeFormat.allCases.map(\.rawValue))

    /// `on_bad_row` of the ingest kinds.
    static let onBadRow = ParamSpec("on_bad_row", .string, "fail", "fail: stop at the first bad row (wrong number of fields, unterminated quote, invalid UTF-8, bad value), naming file:line:column; skip: drop it and count it by reason in the metrics",
                                    choices: ["fail", "skip"])
}
