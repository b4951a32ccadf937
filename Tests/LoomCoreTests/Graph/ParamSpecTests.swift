import Foundation
import Testing
@testable import LoomCore

/// A kind with one param of each sort of default, for `ParamSpec.resolve`.
private let specs = [
    ParamSpec("n_init", .int, 10, "restarts", bounds: .atLeast(1)),
    ParamSpec("rate", .float, 0.5, "a rate", bounds: .strictlyBetween(0, 1)),
    ParamSpec("horizon", .float, 39, "weeks"),
    ParamSpec("model", .string, "gbdt", "the model", choices: ["gbdt", "logistic"]),
    ParamSpec("label", .string, .required, "the label"),
    ParamSpec("group", .string, .unset("none"), "a group column"),
    ParamSpec("names", .strings, .value(.list([])), "names"),
    ParamSpec("l2", .float, .computed("gbdt 0, logistic 1", { $0["model"] == .string("logistic") ? .float(1) : .float(0) }), "penalty"),
]

@Suite struct ParamSpecTests {
    func resolve(_ values: [String: ParamValue]) -> ParamSpec.Resolved { ParamSpec.resolve(values, specs, kind: "k") }

    @Test func omittedParamsTakeTheirDefaultsAndUnsetOnesAreNull() {
        #expect(resolve(["label": .string("y")]) == .values([
            "n_init": .int(10), "rate": .float(0.5), "horizon": .float(39), "model": .string("gbdt"), "label": .string("y"),
            "group": .null, "names": .list([]), "l2": .float(0),
        ]))
    }

    // Writing a default out, writing it as an int where a float is declared, or writing null,
    // resolves to the same map: the key does not depend on how a default was spelled.
    @Test func spellingsOfADefaultResolveAlike() {
        let omitted = resolve(["label": .string("y")])
        #expect(resolve(["label": .string("y"), "n_init": .int(10), "horizon": .int(39), "rate": .float(0.5)]) == omitted)
        #expect(resolve(["label": .string("y"), "group": .null, "n_init": .null]) == omitted)
        #expect(resolve(["label": .string("y"), "n_init": .int(11)]) != omitted)
    }

    /// A map of numbers (recommend's weights) keeps them as floats: `{view: 1}` and `{view: 1.0}`
    /// are one key; a value that is not a number is refused by name.
    @Test func numberMapsNormaliseTheirValues() {
        let weights = [ParamSpec("weights", .floatMap, .value(.map(["view": .float(1)])), "weights")]
        let ints = ParamSpec.resolve(["weights": .map(["view": .int(1), "cart": .int(3)])], weights, kind: "k")
        let floats = ParamSpec.resolve(["weights": .map(["view": .float(1), "cart": .float(3)])], weights, kind: "k")
        #expect(ints == floats && ints == .values(["weights": .map(["view": .float(1), "cart": .float(3)])]))
        guard case .problems(let p) = ParamSpec.resolve(["weights": .map(["view": .string("a lot")])], weights, kind: "k") else {
            Issue.record("a text weight was admitted")
            return
        }
        #expect(p.map(\.message) == ["param 'weights' must be map of numbers, got {view: \"a lot\"}"])
    }

    @Test func computedDefaultsSeeTheOtherParams() {
        guard case .values(let v) = resolve(["label": .string("y"), "model": .string("logistic")]) else { Issue.record("problems"); return }
        #expect(v["l2"] == .float(1))
        guard case .values(let w) = resolve(["label": .string("y"), "model": .string("logistic"), "l2": .int(3)]) else { Issue.record("problems"); return }
        #expect(w["l2"] == .float(3))
    }

    @Test func everyProblemIsReportedAtOnce() {
        guard case .problems(let p) = resolve(["n_init": .int(0), "rate": .float(1), "model": .string("forest"), "names": .list([.int(1)]), "nope": .int(1)]) else {
            Issue.record("expected problems"); return
        }
        #expect(p.map(\.message) == [
            "kind 'k' has no param 'nope' (params: n_init, rate, horizon, model, label, group, names, l2)",
            "param 'n_init' must be >= 1, got 0",
            "param 'rate' must be strictly between 0 and 1, got 1.0",
            "param 'model' must be gbdt or logistic, got 'forest'",
            "kind 'k' needs param 'label'",
            "param 'names' must be list of strings, got [1]",
        ])
        #expect(p.map(\.param) == ["nope", "n_init", "rate", "model", nil, "names"])
    }

    @Test func documentationComesFromTheDeclaration() {
        #expect(specs.map(\.typeText) == ["int, >= 1", "float, strictly between 0 and 1", "float", "one of gbdt, logistic", "string", "string",
                                          "list of strings", "float"])
        #expect(specs.map(\.defaultText) == ["10", "0.5", "39.0", "gbdt", "required", "none", "[]", "gbdt 0, logistic 1"])
    }

    // The graph cache holds resolved params, so its key must change with any default.
    @Test func signatureCoversTheDefault() {
        let a = ParamSpec("n_init", .int, 10, "restarts"), b = ParamSpec("n_init", .int, 20, "restarts")
        #expect(a.signature != b.signature)
        #expect(ParamSpec("f", .string, .required, "x", projectFile: .always).signature != ParamSpec("f", .string, .required, "x").signature)
    }
}

/// A param added to an existing kind (with a `legacy` value equal to its default) stays out of the
/// key while at it, so tasks that do not use it keep the keys they had before it existed.
@Suite struct LegacyParamKeyTests {
    let specs = [
        ParamSpec("n", .int, 10, "rows"),
        ParamSpec("extra_rows", .int, 0, "added later", legacy: .int(0)),
        ParamSpec("extra_names", .strings, .unset("none"), "added later", legacy: .null),
    ]

    func keyed(_ values: [String: ParamValue]) -> [String: ParamValue]? {
        guard case .values(let v) = ParamSpec.resolve(values, specs, kind: "k") else { return nil }
        return v.filter { k, value in !(specs.first { $0.name == k }?.isLeftOutOfKey(value) ?? false) }
    }

    @Test func atTheirDefaultsTheyAreLeftOut() {
        #expect(keyed([:]) == ["n": .int(10)])
        #expect(keyed(["extra_rows": .int(0), "extra_names": .null]) == ["n": .int(10)])
    }

    @Test func setTheyAreKeyed() {
        #expect(keyed(["extra_rows": .int(5)]) == ["n": .int(10), "extra_rows": .int(5)])
        #expect(keyed(["extra_names": .list([.string("a")])]) == ["n": .int(10), "extra_names": .list([.string("a")])])
    }

    /// The key's params resolve back to the full map the kind decodes.
    @Test func theKeysParamsResolveToTheFullMap() throws {
        let k = try #require(keyed([:]))
        #expect(ParamSpec.resolve(k, specs, kind: "k") == .values(["n": .int(10), "extra_rows": .int(0), "extra_names": .null]))
    }
}
