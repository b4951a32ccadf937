/// The everyday forms of `loom run` and `loom status`, read without swift-argument-parser.
///
/// A no-op `loom run` of a thousand tasks takes about ten milliseconds, and the library's parse
/// (it reflects over every command and option type) took two to three of them. This reader knows
/// only the plain forms (positionals, `-q`/`--quiet`, `-j N`/`-jN`, `--keep-going`, `--dry-run`,
/// `--wait`, `-P name=value`, `-C DIR`), each at most once except `-P` and `-C`, and returns nil for anything else
/// (help, other options, `--`, anything starting with `-` it does not know, a missing DAG, `-j 0`):
/// those go through `Loom.parseAsRoot`, which owns every message and the help. A test checks that
/// whatever this reader accepts, the library reads the same way (`FastArgumentsTests`).
enum FastArguments: Equatable {
    case run(RunRequest)
    case status(StatusRequest)

    static func parse(_ arguments: [String]) -> FastArguments? {
        guard let command = arguments.first else { return nil }
        let allowed: [String]
        switch command {
        case "run": allowed = ["-q", "--quiet", "-j", "--keep-going", "--dry-run", "--wait", "-P", "-C"]
        case "status": allowed = ["-P", "-C"]
        default: return nil
        }
        var positionals: [String] = [], params: [String] = [], directories: [String] = [], seen: [String] = []
        var jobs: Int?
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            i += 1
            guard a.hasPrefix("-") else {
                // A positional named like a command or help is left to the library.
                if a.isEmpty || a == "help" { return nil }
                positionals.append(a)
                continue
            }
            var flag = a
            var joined: String?
            if command == "run", a.hasPrefix("-j"), a.count > 2 { flag = "-j"; joined = String(a.dropFirst(2)) }
            guard allowed.contains(flag) else { return nil }
            let canonical = flag == "--quiet" ? "-q" : flag
            if canonical != "-P" && canonical != "-C" {
                guard !seen.contains(canonical) else { return nil }
                seen.append(canonical)
            }
            switch canonical {
            case "-j":
                let text: String
                if let joined { text = joined } else {
                    guard i < arguments.count else { return nil }
                    text = arguments[i]
                    i += 1
                }
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text), n >= 1 else { return nil }
                jobs = n
            case "-P":
                guard i < arguments.count, !arguments[i].hasPrefix("-") else { return nil }
                params.append(arguments[i])
                i += 1
            case "-C":
                guard i < arguments.count, !arguments[i].hasPrefix("-") else { return nil }
                directories.append(arguments[i])
                i += 1
            default: break
            }
        }
        guard let dag = positionals.first else { return nil }
        // A malformed -P is reported by the full parser, with the command's usage.
        guard params.isEmpty || (try? Sweep.points(DAGOptions.overrides(params))) != nil else { return nil }
        let tasks = Array(positionals.dropFirst())
        if command == "status" { return .status(StatusRequest(directories: directories, dag: dag, params: params, tasks: tasks, force: [])) }
        return .run(RunRequest(directories: directories, dag: dag, params: params, tasks: tasks, jobs: jobs, keepGoing: seen.contains("--keep-going"),
                               dryRun: seen.contains("--dry-run"), wait: seen.contains("--wait"), quiet: seen.contains("-q")))
    }
}

/// Options that belong to every command, given before its name (`loom -C proj run ...`, as in git
/// and make): moved after the name, where each command reads them, so that both places mean the
/// same and the command's own parser reports any mistake in them.
enum GlobalArguments {
    /// `arguments` with the leading `-C DIR` / `-CDIR` / `--directory DIR` / `--directory=DIR`
    /// moved after the first word that is not one of them (unchanged if there is none, or nothing
    /// follows them: the root command then reads them itself).
    static func hoisted(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "-C" || a == "--directory" {
                guard i + 1 < arguments.count else { break }
                moved += ["-C", arguments[i + 1]]
                i += 2
            } else if a.hasPrefix("--directory=") {
                moved += ["-C", String(a.dropFirst("--directory=".count))]
                i += 1
            } else if a.hasPrefix("-C") && a.count > 2 {
                moved += ["-C", String(a.dropFirst(2))]
                i += 1
            } else {
                break
            }
        }
        guard !moved.isEmpty, i < arguments.count else { return arguments }
        return [arguments[i]] + moved + arguments[(i + 1)...]
    }
}
