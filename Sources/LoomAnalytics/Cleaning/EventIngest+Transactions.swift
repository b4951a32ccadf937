extension EventIngest {
    /// `transactions` of an event log read a piece at a time (`CSVPieces`): only the purchases are
    /// held, so memory grows with them, not with the log. The table is `transactions`' for the whole
    /// file read with time and price as numbers and the ids as text.
    ///
    /// - Throws: when the stream cannot stand for the whole-table read: a piece's error, a missing
    ///   column, or no event of `purchaseType` (the kind then reads the file whole for its message).
    public static func streamTransactions(path: String, file: String, purchaseType: String, blockSize: Int = 16 << 20) throws -> Table {
        let types: [String: CSV.ColumnType] = ["customer": .text, "user": .text, "session": .text, "event_type": .text, "time": .number,
                                               "price": .number, "product": .text, "category": .text, "brand": .text]
        var pieces = try CSVPieces(path: path, file: file, types: types, otherColumns: .text, blockSize: blockSize)
        var customers: [String] = [], times: [Double] = [], amounts: [Double] = []
        var purchases = 0
        while let piece = try pieces.next() {
            let t = piece.table
            let kinds = try t.texts("event_type"), users = try t.texts("user")
            let when = try t.numbers("time"), prices = try t.numbers("price")
            for i in 0..<t.rowCount where kinds[i] == purchaseType {
                purchases += 1
                guard prices[i].isFinite && prices[i] > 0 else { continue }
                customers.append(users[i]); times.append(when[i]); amounts.append(prices[i])
            }
        }
        guard purchases > 0 else { throw AnalyticsError.invalidInput(what: "no '\(purchaseType)' events in \(file)", expected: "purchases") }
        return Table([("customer", .text(customers)), ("time", .number(times)), ("amount", .number(amounts))])
    }
}
