import Foundation

/// The columns of the canonical event table that `SessionFeatures` uses, read a piece at a time
/// (`CSVPieces`) and held dictionary-coded: per event 4-byte codes for session, user, type,
/// product, category and each categorical column, and the time and price as numbers (about 44
/// bytes an event for the shop, where the table of Strings took about 280).
///
/// A categorical column's codes are of its values after `Config.topLevelOnly`'s cut.
struct SessionEvents {
    var session: [Int32] = [], user: [Int32] = [], type: [Int32] = [], product: [Int32] = [], category: [Int32] = []
    var time: [Double] = [], price: [Double] = []
    var categorical: [[Int32]]
    var sessions = StringCodes(), users = StringCodes(), types = StringCodes(), products = StringCodes(), categories = StringCodes()
    /// Per categorical column: its values as read, and after the cut (`cut[c][raw code]` is the cut value's code in `levels[c]`).
    var raw: [StringCodes], levels: [StringCodes]
    var cut: [[Int32]]

    var count: Int { time.count }

    /// Texts that Swift's equality merges but whose bytes differ, in a column whose bytes reach the
    /// output (sessions, users, categorical levels): `SessionFeatures.compute` keeps each row's own
    /// bytes there, so these events cannot stand in for its table.
    var merged: Bool { sessions.merged || users.merged || raw.contains(where: \.merged) || levels.contains(where: \.merged) }

    /// - Throws: a piece's error or a missing column (`CSVPieces`: not always the whole-table
    ///   reader's error; the kind reads the table whole when this throws).
    init(path: String, file: String, config: SessionFeatures.Config, blockSize: Int = 16 << 20) throws {
        let k = config.categorical.count
        categorical = Array(repeating: [], count: k)
        raw = Array(repeating: StringCodes(), count: k)
        levels = raw
        cut = Array(repeating: [], count: k)
        var pieces = try CSVPieces(path: path, file: file, types: SessionFeatures.columnTypes(config), otherColumns: .text, blockSize: blockSize)
        var first = true
        while let piece = try pieces.next() {
            if first { reserve(piece, path: path, categorical: k) }
            first = false
            try append(piece, config)
        }
    }

    /// Reserves the columns for the rows the file will have at the first piece's bytes per row
    /// (and a tenth more): appending alone grows an array to up to twice its rows and holds both
    /// copies while it grows, which put the shop's 20 million events past 2 GB.
    private mutating func reserve(_ piece: CSVPieces.Piece, path: String, categorical k: Int) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size, piece.table.rowCount > 0, piece.byteCount > 0 else { return }
        let rows = Int(min(Double(size) / Double(piece.byteCount) * Double(piece.table.rowCount) * 1.1, Double(Int32.max)))
        for k in [\SessionEvents.session, \.user, \.type, \.product, \.category] { self[keyPath: k].reserveCapacity(rows) }
        time.reserveCapacity(rows)
        price.reserveCapacity(rows)
        for c in 0..<k { categorical[c].reserveCapacity(rows) }
    }

    private mutating func append(_ piece: CSVPieces.Piece, _ config: SessionFeatures.Config) throws {
        let t = piece.table, check = !piece.ascii
        let users = try t.texts("user"), sessions = try t.texts("session"), typeNames = try t.texts("event_type")
        let times = try t.numbers("time"), prices = try t.numbers("price")
        let products = try t.texts("product"), categories = try t.texts("category")
        let values = try config.categorical.map { try t.texts($0) }
        time.append(contentsOf: times)
        price.append(contentsOf: prices)
        for i in 0..<t.rowCount {
            session.append(try self.sessions.code(sessions[i], checkBytes: check))
            user.append(try self.users.code(users[i], checkBytes: check))
            type.append(try types.code(typeNames[i], checkBytes: false))
            product.append(try self.products.code(products[i], checkBytes: false))
            category.append(try self.categories.code(categories[i], checkBytes: false))
        }
        for (c, name) in config.categorical.enumerated() {
            let cutting = config.topLevelOnly.contains(name)
            for v in values[c] {
                let r = try raw[c].code(v, checkBytes: check)
                if Int(r) == cut[c].count {
                    // `SessionFeatures.compute`'s cut, once per distinct value.
                    let value = cutting ? v.split(separator: ".", maxSplits: 1).first.map(String.init) ?? "" : v
                    cut[c].append(try levels[c].code(value, checkBytes: true))
                }
                categorical[c].append(cut[c][Int(r)])
            }
        }
    }
}
