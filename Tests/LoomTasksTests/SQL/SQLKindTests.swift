import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

@Suite struct SQLKindTests {
    static let customers = "customer,frequency,spend,zip\nc2,,3,007\nc1,2,10.5,123\nc3,0,,\n"
    static let orders = "id,customer,amount\n1,b,5\n2,a,5\n3,a,7\n4,c,\n"

    func result(_ s: KindSandbox, _ task: String) throws -> String {
        try String(contentsOfFile: s.artifacts[task]! + "/result.csv", encoding: .utf8)
    }

    /// Types inferred per column (frequency integer, spend real, zip text because of 007), empty
    /// cells NULL (NULL + 1 is NULL), no ORDER BY: rows sorted by every column. Values by hand.
    @Test func derivedColumnsTypesAndNulls() throws {
        let s = try KindSandbox()
        try s.artifact("features", file: "customers.csv", Self.customers)
        try s.run("q", "sql", ["query": .string("SELECT customer, frequency + 1 AS f1, spend / 2 AS half, typeof(frequency) AS t, typeof(spend) AS ts, zip FROM features")],
                  needs: ["features"])
        let q = try result(s, "q")
        #expect(q == "customer,f1,half,t,ts,zip\nc1,3,5.25,integer,real,123\nc2,,1.5,null,real,007\nc3,1,,integer,null,\n", "\(q)")
        #expect(try s.metrics("q") == ["rows": 3, "columns": 6, "tables": 1])
        // A declared type wins over inference: zip as integer stores 7 for 007.
        try s.run("d", "sql", ["query": .string("SELECT zip, typeof(zip) AS t FROM features WHERE zip IS NOT NULL"),
                               "types": .map(["features": .map(["zip": .string("integer")])])], needs: ["features"])
        #expect(try result(s, "d") == "zip,t\n7,integer\n123,integer\n")
    }

    /// ORDER BY is kept and extended by every column (the tie at 5 goes a before b); NULL sorts
    /// first ascending, last descending; a LIMIT without ORDER BY takes the first rows of the
    /// total order.
    @Test func rowOrderIsTotal() throws {
        let s = try KindSandbox()
        try s.artifact("orders", file: "orders.csv", Self.orders)
        try s.run("desc", "sql", ["query": .string("SELECT customer, amount FROM orders ORDER BY amount DESC")], needs: ["orders"])
        #expect(try result(s, "desc") == "customer,amount\na,7\na,5\nb,5\nc,\n")
        try s.run("sum", "sql", ["query": .string("SELECT customer, SUM(amount) AS total, COUNT(*) AS n FROM orders GROUP BY customer ORDER BY total DESC;")],
                  needs: ["orders"])
        #expect(try result(s, "sum") == "customer,total,n\na,12,2\nb,5,1\nc,,1\n")
        try s.run("limit", "sql", ["query": .string("SELECT customer, id FROM orders LIMIT 2")], needs: ["orders"])
        #expect(try result(s, "limit") == "customer,id\na,2\na,3\n")
        try s.run("values", "sql", ["query": .string("VALUES (2, 'b'), (1, 'a')")])
        #expect(try result(s, "values") == "column1,column2\n1,a\n2,b\n")
    }

    @Test func totallyOrderedText() {
        #expect(SQLText("SELECT a, b FROM t").totallyOrdered(columns: 2) == "SELECT a, b FROM t ORDER BY 1, 2 ")
        #expect(SQLText("SELECT a FROM t ORDER BY a DESC LIMIT 3;").totallyOrdered(columns: 1) == "SELECT a FROM t ORDER BY a DESC , 1 LIMIT 3;")
        // ORDER BY inside parentheses, a comment or a string is not the query's.
        let nested = "SELECT x FROM (SELECT a AS x FROM t ORDER BY a LIMIT 2) /* ORDER BY */ WHERE x <> 'ORDER BY' -- limit"
        #expect(SQLText(nested).totallyOrdered(columns: 1)
                == "SELECT x FROM (SELECT a AS x FROM t ORDER BY a LIMIT 2) /* ORDER BY */ WHERE x <> 'ORDER BY' ORDER BY 1  -- limit")
        #expect(SQLText("WITH c AS (SELECT 1 AS v) SELECT v FROM c LIMIT 5").totallyOrdered(columns: 1) == "WITH c AS (SELECT 1 AS v) SELECT v FROM c  ORDER BY 1 LIMIT 5")
        #expect(SQLText("VALUES (2, 'b'), (1, 'a');").totallyOrdered(columns: 2) == "SELECT * FROM (VALUES (2, 'b'), (1, 'a')) ORDER BY 1, 2 ;")
        #expect(SQLText("SELECT \"order\" FROM t").topLevel("ORDER", "BY") == nil)
        #expect(SQLText("SELECT 1;\n;").hasSecondStatement == false && SQLText("SELECT 1; DROP TABLE t").hasSecondStatement)
        let t = SQLText("SELECT a,\n  é FROM t")
        #expect(t.position(ofByte: 12) == (line: 2, column: 3) && t.position(ofByte: 14).column == 4)   // é is two bytes
    }

    /// A need with several CSVs is read through `tables`; a declared file is a table named after
    /// it; two sources of one name (SQLite ignores case) fail with both named.
    @Test func tablesFromNeedsFilesAndParams() throws {
        let s = try KindSandbox()
        try FileSystem.makeDirectories(s.root + "/multi")
        try FileSystem.writeAtomically(s.root + "/multi/a.csv", "k,x\n1,10\n2,20\n")
        try FileSystem.writeAtomically(s.root + "/multi/b.csv", "k,y\n1,100\n")
        try s.artifact("multi", file: "a.csv", "k,x\n1,10\n2,20\n")
        try FileSystem.makeDirectories(s.root + "/data")
        try FileSystem.writeAtomically(s.root + "/data/Orders.csv", Self.orders)
        expectFailure(["input 'multi' has several CSV files (a.csv, b.csv)", "tables: {multi: multi/a.csv}"]) {
            try s.run("q", "sql", ["query": .string("SELECT 1 AS one")], needs: ["multi"])
        }
        try s.run("q", "sql", ["query": .string("SELECT a.k, x, y, (SELECT COUNT(*) FROM Orders) AS n FROM a LEFT JOIN b ON a.k = b.k"),
                               "tables": .map(["a": .string("multi/a.csv"), "b": .string("multi/b.csv")])],
                  needs: ["multi"], files: ["data/Orders.csv"])
        #expect(try result(s, "q") == "k,x,y,n\n1,10,100,4\n2,20,,4\n")
        try s.artifact("orders", file: "orders.csv", Self.orders)
        expectFailure(["two tables named 'Orders': orders/orders.csv and data/Orders.csv", "param 'tables'"]) {
            try s.run("q", "sql", ["query": .string("SELECT 1 AS one")], needs: ["orders"], files: ["data/Orders.csv"])
        }
        expectFailure(["source 'nope/x.csv', which is neither a needed task (orders)"]) {
            try s.run("q", "sql", ["query": .string("SELECT 1 AS one"), "tables": .map(["x": .string("nope/x.csv")])], needs: ["orders"])
        }
    }

    /// Errors found when the DAG is loaded, each at its place in the query.
    @Test func queriesThatWriteOrEscapeAreRefusedAtLoad() {
        let check = BuiltinKinds.registry["sql"]!.check
        func problems(_ q: String) -> [ParamProblem] { check(["query": .string(q)]) }
        #expect(problems("ATTACH DATABASE '/tmp/loom-sql-escape.db' AS x").map(\.message)
                == ["param 'query': ATTACH is not allowed: a sql task only reads its tables (/tmp/loom-sql-escape.db)"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/loom-sql-escape.db"))
        #expect(problems("PRAGMA writable_schema = 1").map(\.message) == ["param 'query': PRAGMA is not allowed: a sql task only reads its tables (writable_schema)"])
        #expect(problems("CREATE TABLE t (x)").map(\.message) == ["param 'query': changing the schema (CREATE, DROP, ALTER) is not allowed: a sql task only reads its tables"])
        #expect(problems("VACUUM INTO '/tmp/loom-sql-escape.db'").first?.message.contains("the query must only read") == true)
        #expect(problems("SELECT 1; DROP TABLE t") == [ParamProblem(param: "query", "param 'query' holds more than one statement", at: .init(line: 1, column: 9))])
        #expect(problems("SELECT random() AS r").map(\.message)
                == ["param 'query': function random() is not allowed: its value changes from run to run, and a task's output must depend on its inputs only"])
        #expect(problems("SELECT date('now') AS d").first?.place == .init(line: 1, column: 13, length: 5))
        #expect(problems("SELECT a,\n  FROM t") == [ParamProblem(param: "query", "param 'query': near \"FROM\": syntax error", at: .init(line: 2, column: 3))])
        // Unknown tables and columns wait for the run; unknown functions do not.
        #expect(problems("SELECT nope FROM nowhere").isEmpty)
        #expect(problems("SELECT frobnicate(1) AS x").map(\.message) == ["param 'query': no such function: frobnicate"])
        #expect(check(["query": .string("SELECT 1"), "tables": .map(["x": .string("a/../../etc/passwd")])]).map(\.message)
                == ["param 'tables' gives table 'x' the source 'a/../../etc/passwd': expected a needed task, TASK/FILE inside its artifact, or a declared file (no '..', not absolute)"])
    }

    @Test func runtimeErrorsPointIntoTheQuery() throws {
        let s = try KindSandbox()
        try s.artifact("features", file: "customers.csv", Self.customers)
        expectFailure(["query:2:3: error: no such column: frequncy\n      frequncy FROM features\n      ^"]) {
            try s.run("q", "sql", ["query": .string("SELECT customer,\n  frequncy FROM features")], needs: ["features"])
        }
        expectFailure(["error: no such table: feature", "note: tables: features", "did you mean 'features'?"]) {
            try s.run("q", "sql", ["query": .string("SELECT * FROM feature")], needs: ["features"])
        }
        expectFailure(["INSERT is not allowed"]) { try s.run("q", "sql", ["query": .string("INSERT INTO features (customer) VALUES ('x')")], needs: ["features"]) }
        expectFailure(["two columns named 'customer'", "AS"]) { try s.run("q", "sql", ["query": .string("SELECT customer, customer FROM features")], needs: ["features"]) }
        expectFailure(["holds a BLOB in row 1"]) { try s.run("q", "sql", ["query": .string("SELECT x'00' AS b")]) }
        expectFailure(["more than 10 rows (param 'max_rows')"]) {
            try s.run("q", "sql", ["query": .string("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT x FROM c"),
                                   "max_rows": .int(10)])
        }
        // Column names SQLite cannot tell apart, and names that need quoting.
        try s.artifact("cased", file: "t.csv", "Price,price\n1,2\n")
        expectFailure(["cannot load cased/t.csv as table 'cased'", "duplicate column name", "SQLite's column names ignore case"]) {
            try s.run("q", "sql", ["query": .string("SELECT 1 AS one")], needs: ["cased"])
        }
        try s.artifact("odd-name", file: "t.csv", "a\"b,sp ace\n1,x\n")
        try s.run("odd", "sql", ["query": .string("SELECT \"a\"\"b\" + 1 AS n, \"sp ace\" AS \"the, text\" FROM \"odd-name\"")], needs: ["odd-name"])
        #expect(try result(s, "odd") == "n,\"the, text\"\n2,x\n")
        expectFailure(["param 'types' declares column 'nope' of table 'features'"]) {
            try s.run("q", "sql", ["query": .string("SELECT 1 AS one"), "types": .map(["features": .map(["nope": .string("text")])])], needs: ["features"])
        }
    }
}
