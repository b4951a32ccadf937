import Foundation
import Testing
@testable import LoomCore

/// Values a user (or a `-P` override) may pass that a naive quoting would execute or mangle.
let hostileValues: [String] = [
    "$(touch pwned)", "`touch pwned`", "\"; touch pwned; \"", "'; touch pwned; '", "'hello world'", "hello world", "a\\b", "\\", "\\\"",
    "$HOME", "${HOME}", "*", "~", "-n", "a\nb", "\n; touch pwned", "", "'", "\"", "$", "!", "#x", "a  b", "a\tb", "\\$(touch pwned)",
    "'\"'\"'", "$((1+1))", "}", ")", "EOF", "é😀", "x\\\n; touch pwned", "\"$(touch pwned)\"", "'$(touch pwned)'",
]

@Suite struct ShellQuotingTests {
    /// Runs `command` with /bin/sh in a fresh directory; returns stdout and whether `pwned` appeared.
    func sh(_ command: String) throws -> (out: String, pwned: Bool) {
        let dir = TestDir()
        defer { dir.remove() }
        // LoomCore's `Command`, not Foundation's `Process` (see `Child` in the end-to-end tests).
        let r = try Command.run(["/bin/sh", "-c", command], directory: dir.path)
        return (r.output, FileSystem.exists(dir.path + "/pwned"))
    }

    /// Placements where a value is written, with what the shell must print for value v.
    static let accepted: [(template: String, expected: @Sendable (String) -> String)] = [
        ("printf '%s' {{params.x}}", { $0 }),
        ("printf '%s' \"{{params.x}}\"", { $0 }),
        ("printf '%s' '{{params.x}}'", { $0 }),
        ("printf '%s' pre{{params.x}}post", { "pre\($0)post" }),
        ("printf '%s' \"pre {{params.x}} post\"", { "pre \($0) post" }),
        ("printf '%s' 'pre {{params.x}} post'", { "pre \($0) post" }),
        ("printf '%s' \"a\"'{{params.x}}'\"b\"{{params.x}}", { "a\($0)b\($0)" }),
        ("(printf '%s' {{params.x}})", { $0 }),
        // Command substitution drops trailing newlines: that is the shell, not the quoting.
        ("printf '%s' \"$(printf '%s' {{params.x}})\"", { String($0.reversed().drop { $0 == "\n" }.reversed()) }),
        ("printf '%s' \"$(printf '%s' \"{{params.x}}\")\"", { String($0.reversed().drop { $0 == "\n" }.reversed()) }),
        ("printf '%s' \"$(printf '%s' '{{params.x}}')\"", { String($0.reversed().drop { $0 == "\n" }.reversed()) }),
        ("x={{params.x}}; printf '%s' \"$x\" # a comment's 'quotes\" do not count", { $0 }),
        ("printf '%s' {{params.x}} | cat", { $0 }),
    ]

    static let refused: [(template: String, context: ShellQuoting.Context)] = [
        ("echo `echo {{params.x}}`", .backquoted),
        ("echo \"`echo {{params.x}}`\"", .backquoted),
        ("cat <<EOF\n{{params.x}}\nEOF", .hereDocument),
        ("cat <<'EOF'\nsafe?\n{{params.x}}\nEOF\necho after", .hereDocument),
        ("cat <<-{{params.x}}\nx\n", .hereDocument),
        ("true # {{params.x}}", .comment),
        ("echo ${HOME:-{{params.x}}}", .parameterExpansion),
        ("echo \"${HOME:-{{params.x}}}\"", .parameterExpansion),
        ("echo $(( {{params.x}} + 1 ))", .arithmetic),
        ("printf '%s' \\{{params.x}}", .escaped),
        ("printf '%s' \"\\{{params.x}}\"", .escaped),
        ("printf '%s' ${{params.x}}", .afterDollar),
        ("printf '%s' \"${{params.x}}\"", .afterDollar),
        ("echo \"$(case a in a) echo {{params.x}};; esac)\"", .caseInSubshell),
        ("echo \"$(case a in a) echo ok;; esac) {{params.x}}\"", .caseInSubshell),
    ]

    // Every hostile value, in every accepted placement, prints exactly itself and runs nothing.
    @Test(arguments: accepted.indices) func hostileValuesAreQuotedForTheirContext(placement: Int) throws {
        let (template, expected) = Self.accepted[placement]
        for v in hostileValues {
            let (command, refused) = ShellQuoting.render(template) { $0 == "x" ? .string(v) : nil }
            #expect(refused.isEmpty, "\(template) refused \(v)")
            let (out, pwned) = try sh(command)
            #expect(!pwned, "\(template) with \(v) ran the payload: \(command)")
            #expect(out == expected(v), "\(template) with \(v): \(command)")
        }
    }

    // In a context the scan cannot quote for, every value is refused, not only those that look bad.
    @Test(arguments: refused.indices) func hardContextsAreRefusedForAnyValue(placement: Int) {
        let (template, context) = Self.refused[placement]
        #expect(ShellQuoting.scan(template).map(\.context) == [context])
        for v in hostileValues + ["plain"] {
            let (_, refused) = ShellQuoting.render(template) { _ in .string(v) }
            #expect(refused.count == 1, "\(template) accepted \(v)")
        }
    }

    @Test func listsAreWordsOnlyWhereTheyStandAlone() throws {
        let list = ParamValue.list([.string("a b"), .string("$(touch pwned)"), .string("'"), .int(1)])
        let (command, refused) = ShellQuoting.render("printf '[%s]' {{params.l}}") { _ in list }
        #expect(refused.isEmpty)
        let (out, pwned) = try sh(command)
        #expect(out == "[a b][$(touch pwned)]['][1]" && !pwned)
        for template in ["printf '%s' \"{{params.l}}\"", "printf '%s' '{{params.l}}'", "printf '%s' x{{params.l}}", "printf '%s' {{params.l}}\"\""] {
            #expect(ShellQuoting.render(template) { _ in list }.refused.count == 1, "\(template)")
        }
    }

    @Test func scanFollowsNestedQuoting() {
        let t = "a {{params.x}} \"b {{params.x}} $(c {{params.x}} 'd {{params.x}}' \"e {{params.x}}\") f {{params.x}}\" 'g {{params.x}}' # {{params.x}}\nh {{params.x}}"
        #expect(ShellQuoting.scan(t).map(\.context) == [.bare, .doubleQuoted, .bare, .singleQuoted, .doubleQuoted, .doubleQuoted, .singleQuoted, .comment, .bare])
        // A quote inside the other kind of quotes is text; an escaped quote opens nothing.
        #expect(ShellQuoting.scan("echo \"it's {{params.x}}\" \\' {{params.x}} '\"' {{params.x}}").map(\.context) == [.doubleQuoted, .bare, .bare])
        // After a here-document's body, the command goes on bare.
        #expect(ShellQuoting.scan("cat <<E\n{{params.x}}\nE\necho {{params.x}}").map(\.context) == [.hereDocument, .bare])
    }

    // The located error the user sees, as a whole.
    @Test func refusalsAreLocatedErrors() {
        let yaml = "params:\n  x: hi\ntasks:\n  t: {kind: shell, cmd: 'echo `echo {{params.x}}`'}\n"
        #expect(build(yaml).failure == """
        dags/t.yaml:4:37: error: task 't': {{params.x}} is inside backquotes, where a value cannot be quoted safely
          t: {kind: shell, cmd: 'echo `echo {{params.x}}`'}
                                            ^~~~~~~~~~~~
        note: use $( ) instead of backquotes, and write it bare: {{params.x}} is quoted for you

        """)
        let g = build("params:\n  x: hello world\ntasks:\n  t: {kind: shell, cmd: 'echo \"{{params.x}}\" ''{{params.x}}'''}\n").success
        #expect(g?.nodes[0].renderedCommand == "echo \"hello world\" 'hello world'")
    }
}
