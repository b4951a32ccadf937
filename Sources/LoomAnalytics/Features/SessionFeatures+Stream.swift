import Foundation

extension SessionFeatures {
    /// How the event table is read: the ids and texts as text, time and price as numbers, and the
    /// categorical columns as text (a categorical `time` is text, and then not a time).
    public static func columnTypes(_ config: Config) -> [String: CSV.ColumnType] {
        var types: [String: CSV.ColumnType] = ["user": .text, "session": .text, "event_type": .text, "time": .number, "price": .number,
                                               "product": .text, "category": .text, "brand": .text]
        for c in config.categorical { types[c] = .text }
        return types
    }

    /// What `stream` wrote.
    public struct Written: Equatable, Sendable {
        public var rows: Int
        public var labelled: Int
        public var columns: Int
        /// Some event has the label event's type.
        public var hasLabelEvent: Bool
        public init(rows: Int, labelled: Int, columns: Int, hasLabelEvent: Bool) {
            (self.rows, self.labelled, self.columns, self.hasLabelEvent) = (rows, labelled, columns, hasLabelEvent)
        }
    }

    /// `compute` on a file, writing its table to `output` row by row: the file is byte for byte
    /// `CSVRowWriter.write` of `compute`'s table for the file read with `columnTypes` (a
    /// differential test holds them equal). The events are held dictionary-coded
    /// (`SessionEvents`, about 44 bytes an event for the shop) and one session's tallies at a
    /// time; no table of features is built.
    ///
    /// Order: `compute` sorts events by (session, time, row) and writes a session per run of equal
    /// sessions. Here sessions are ranked by the same `String` order and events placed by rank in
    /// row order (a counting sort), each session's events then sorted by (time, row) where they
    /// are not already; with a missing (NaN) time, where that order is not a strict order, the
    /// events are sorted by the very comparison `compute` uses, so the runs are the same.
    ///
    /// - Throws: where `compute` throws, and where these events cannot stand in for its table (a
    ///   piece's error; texts that are equal as Strings but not in bytes): `session_features` then
    ///   reads the file whole, for `compute`'s table or its error.
    public static func stream(path: String, file: String, config: Config, to output: String, blockSize: Int = 16 << 20) throws -> Written {
        let events = try SessionEvents(path: path, file: file, config: config, blockSize: blockSize)
        guard !events.merged else {
            throw AnalyticsError.invalidInput(what: "texts equal as Strings but not in bytes in \(file)", expected: "the whole-table path")
        }
        guard events.count > 0 else { throw AnalyticsError.tooFewRows(what: "event table", rows: 0, needed: 1) }
        guard config.topLevels >= 1 else { throw AnalyticsError.invalidParameter(name: "top_levels", value: String(config.topLevels), expected: "at least 1") }
        let typed = try typedCodes(events.types, config)
        let label = events.types.lookup(config.labelEvent)
        let order = sessionOrder(events)
        let modes = config.categorical.isEmpty ? [] : categoricalModes(events, order, label: label)
        let oneHot = try config.categorical.indices.map { c in
            try oneHotCodes(config.categorical[c], events.levels[c], modes[c], given: config.levels[config.categorical[c]], top: config.topLevels)
        }
        var header = ["user", "session"] + featureNames
        if config.typeCounts != .none {
            header += typed.names.map { "count." + $0 } + ["distinct_types"]
            if config.typePositions { header += typed.names.map { "first." + $0 } + typed.names.map { "last." + $0 } }
        }
        for h in oneHot { header += h.names }
        var names = Set(["user", "session", "label"])
        for name in header.dropFirst(2) where !names.insert(name).inserted {
            throw AnalyticsError.invalidInput(what: "two output columns named '\(name)'", expected: "event types and categorical levels whose column names differ")
        }
        header.append("label")
        let w = try CSVRowWriter(path: output, header: header)
        let labelled = writeRows(events, order, config, typed.codes, modes, oneHot, label: label, to: w)
        try w.close()
        return Written(rows: w.rows, labelled: labelled, columns: header.count, hasLabelEvent: events.types.lookup(config.labelEvent) != nil)
    }

    /// `typedColumns` on coded types: the per-type columns' names and their types' codes.
    static func typedCodes(_ types: StringCodes, _ config: Config) throws -> (names: [String], codes: [Int32?]) {
        switch config.typeCounts {
        case .none: return ([], [])
        case .all:
            let names = types.strings.filter { $0 != config.labelEvent }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return (names, names.map { types.lookup($0) })
        case .listed(let names):
            if config.absentTypes == .fail && names.contains(where: { types.lookup($0) == nil }) {
                throw AnalyticsError.invalidParameter(name: "event_types", value: "a type no event has", expected: "the whole-table message")
            }
            return (names, names.map { types.lookup($0) })
        }
    }

    /// The events' order in `compute`: by (session, time, row).
    static func sessionOrder(_ e: SessionEvents) -> [Int32] {
        let byText = (0..<e.sessions.count).sorted { e.sessions.strings[$0] < e.sessions.strings[$1] }
        var rank = [Int32](repeating: 0, count: byText.count)
        for (r, code) in byText.enumerated() { rank[code] = Int32(r) }
        if e.time.contains(where: \.isNaN) {
            // Not a strict order: the same comparisons as `compute`, in the same sort.
            return (0..<e.count).sorted { (rank[Int(e.session[$0])], e.time[$0], $0) < (rank[Int(e.session[$1])], e.time[$1], $1) }.map { Int32($0) }
        }
        var start = [Int](repeating: 0, count: byText.count + 1)
        for s in e.session { start[Int(rank[Int(s)]) + 1] += 1 }
        for r in 0..<byText.count { start[r + 1] += start[r] }
        var next = start
        var order = [Int32](repeating: 0, count: e.count)
        for i in 0..<e.count {
            let r = Int(rank[Int(e.session[i])])
            order[next[r]] = Int32(i)
            next[r] += 1
        }
        for r in 0..<byText.count {
            let slice = start[r]..<start[r + 1]
            var sorted = true
            for k in slice.dropFirst() where e.time[Int(order[k - 1])] > e.time[Int(order[k])] { sorted = false; break }
            if !sorted { order[slice].sort { (e.time[Int($0)], $0) < (e.time[Int($1)], $1) } }
        }
        return order
    }

    /// Runs of equal sessions in `order` (a session per run, as `compute` writes them).
    static func forEachSession(_ e: SessionEvents, _ order: [Int32], _ body: (Range<Int>) -> Void) {
        var i = 0
        while i < order.count {
            let s = e.session[Int(order[i])]
            var j = i + 1
            while j < order.count && e.session[Int(order[j])] == s { j += 1 }
            body(i..<j)
            i = j
        }
    }

    /// Each session's mode per categorical column (a level code, -1 for none), as `mode` picks it
    /// from the session's events before its first label event.
    static func categoricalModes(_ e: SessionEvents, _ order: [Int32], label: Int32?) -> [[Int32]] {
        e.levels.indices.map { c in
            let strings = e.levels[c].strings, values = e.categorical[c]
            let empty = e.levels[c].lookup("")
            var count = [Int32](repeating: 0, count: strings.count), touched: [Int32] = []
            var modes: [Int32] = []
            forEachSession(e, order) { run in
                for k in run {
                    let i = Int(order[k])
                    if e.type[i] == label { break }
                    let v = values[i]
                    if v == empty { continue }
                    if count[Int(v)] == 0 { touched.append(v) }
                    count[Int(v)] += 1
                }
                var best: Int32 = -1, bestCount: Int32 = 0
                for v in touched {
                    let n = count[Int(v)]
                    if n > bestCount || (n == bestCount && strings[Int(v)].utf8.lexicographicallyPrecedes(strings[Int(best)].utf8)) { best = v; bestCount = n }
                    count[Int(v)] = 0
                }
                touched.removeAll(keepingCapacity: true)
                modes.append(best)
            }
            return modes
        }
    }

    /// A categorical column's one-hot columns (`oneHot` on coded modes): their names, and per level
    /// code the column it sets (`other`'s for a value outside the levels).
    struct OneHot { var names: [String]; var column: [Int] }

    static func oneHotCodes(_ name: String, _ levels: StringCodes, _ modes: [Int32], given: [String]?, top: Int) throws -> OneHot {
        let chosen: [String]
        if let given { chosen = given } else {
            // `topLevels`: the values most sessions have (ties: byte order).
            var n = [Int](repeating: 0, count: levels.count)
            for m in modes where m >= 0 { n[Int(m)] += 1 }
            let ranked = n.indices.filter { n[$0] > 0 }.sorted {
                n[$0] != n[$1] ? n[$0] > n[$1] : levels.strings[$0].utf8.lexicographicallyPrecedes(levels.strings[$1].utf8)
            }
            chosen = ranked.prefix(top).map { levels.strings[$0] }
        }
        var kept: [String] = []
        for l in chosen where l != "other" && !l.isEmpty && !kept.contains(l) { kept.append(l) }
        var column = [Int](repeating: kept.count, count: levels.count)
        for (k, l) in kept.enumerated() { if let code = levels.lookup(l) { column[Int(code)] = k } }
        return OneHot(names: (kept + ["other"]).map { "\(name)=\($0)" }, column: column)
    }

    /// Computes each session's row as `compute` does and writes it; returns the labelled sessions.
    static func writeRows(_ e: SessionEvents, _ order: [Int32], _ config: Config, _ typed: [Int32?], _ modes: [[Int32]], _ oneHot: [OneHot],
                          label: Int32?, to w: CSVRowWriter) -> Int {
        func flags(_ listed: [String]) -> [Bool] { e.types.strings.map { listed.contains($0) } }
        let view = flags(config.viewEvents), cart = flags(config.cartEvents), remove = flags(config.removeEvents), priced = flags(config.priceEvents)
        let tallied = config.typeCounts != .none
        var productSeen = [Int32](repeating: -1, count: e.products.count), categorySeen = [Int32](repeating: -1, count: e.categories.count)
        var typeCount = [Int](repeating: 0, count: e.types.count), typeFirst = typeCount, typeLast = typeCount
        var labelled = 0, row: Int32 = 0
        forEachSession(e, order) { run in
            var views = 0.0, carts = 0.0, removes = 0.0, priceSum = 0.0, pricedCount = 0.0, isLabelled = 0.0
            var minPrice = Double.infinity, maxPrice = -Double.infinity
            var first = Double.nan, last = Double.nan
            var products = 0, categories = 0, position = 0
            for k in run {
                let i = Int(order[k])
                let t = e.type[i]
                if t == label { isLabelled = 1; break }
                if first.isNaN { first = e.time[i] }
                last = e.time[i]
                if productSeen[Int(e.product[i])] != row { productSeen[Int(e.product[i])] = row; products += 1 }
                if categorySeen[Int(e.category[i])] != row { categorySeen[Int(e.category[i])] = row; categories += 1 }
                let ti = Int(t)
                if tallied {
                    position += 1
                    typeCount[ti] += 1
                    if typeFirst[ti] == 0 { typeFirst[ti] = position }
                    typeLast[ti] = position
                }
                if view[ti] { views += 1 }
                if cart[ti] { carts += 1 }
                if remove[ti] { removes += 1 }
                let price = e.price[i]
                if priced[ti], price.isFinite {
                    priceSum += price; pricedCount += 1
                    minPrice = min(minPrice, price); maxPrice = max(maxPrice, price)
                }
            }
            let start = Int(order[run.lowerBound])
            w.text(e.users[e.user[start]]); w.text(e.sessions[e.session[start]])
            let hour = first.isNaN ? 0 : (first.truncatingRemainder(dividingBy: 86400) + 86400).truncatingRemainder(dividingBy: 86400) / 3600
            w.number(views); w.number(carts); w.number(removes); w.number(hour >= 18 ? 1 : 0)
            w.number(pricedCount > 0 ? log(priceSum / pricedCount) : 0); w.number(hour.rounded(.down))
            w.number(first.isNaN ? 0 : last - first); w.number(Double(products)); w.number(Double(categories))
            w.number(pricedCount > 0 ? minPrice : 0); w.number(pricedCount > 0 ? maxPrice : 0); w.number(pricedCount > 0 ? priceSum / pricedCount : 0)
            if tallied {
                for code in typed { w.number(code.map { Double(typeCount[Int($0)]) } ?? 0) }
                w.number(Double(typeCount.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }))
                if config.typePositions {
                    for code in typed { w.number(code.map { Double(typeFirst[Int($0)]) } ?? 0) }
                    for code in typed { w.number(code.map { Double(typeLast[Int($0)]) } ?? 0) }
                }
                for k in typeCount.indices { typeCount[k] = 0; typeFirst[k] = 0; typeLast[k] = 0 }
            }
            for (c, h) in oneHot.enumerated() {
                let m = modes[c][Int(row)]
                let set = m < 0 ? -1 : h.column[Int(m)]
                for k in h.names.indices { w.number(k == set ? 1 : 0) }
            }
            w.number(isLabelled)
            w.endRow()
            if isLabelled == 1 { labelled += 1 }
            row += 1
        }
        return labelled
    }
}
