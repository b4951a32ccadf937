import Crypto
import Foundation
import LoomCore

/// AWS Signature Version 4 (header form), as S3 and every S3-compatible server check it.
///
/// `sign` computes the canonical request (method, URI-encoded path, sorted query, lower-case
/// sorted headers with trimmed values, signed header names, payload hash), the string to sign
/// (algorithm, time, scope, hash of the canonical request) and the signature (HMAC-SHA256 with
/// the key derived from the secret, date, region and service), and returns the headers to add.
/// Tested against AWS's published test suite (`SigV4Tests`) and botocore's results.
public struct SigV4: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String
        public var sessionToken: String?
        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The hash S3 is told for a body it does not check against a signature.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// What a request is signed over. `path` is the decoded path ("/bucket/a b"); `query` the
    /// decoded parameters, in any order; `headers` every header to sign (Host included).
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var payloadHash: String
        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (`A-Z a-z 0-9 - . _ ~`),
    /// and of `/` unless `keepSlash`, over the UTF-8 bytes.
    public static func uriEncode(_ s: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical request and the signed header names (`a;b;c`).
    public static func canonical(_ r: Request) -> (text: String, signedHeaders: String) {
        let query = r.query.map { (uriEncode($0.0), uriEncode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        // Header names lower-cased; values trimmed, inner runs of spaces made one; a name given
        // more than once has its values joined with commas, in the order given.
        var names: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in r.headers {
            let n = name.lowercased()
            if values[n] == nil { names.append(n) }
            values[n, default: []].append(trimmed(value))
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let headers = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        let path = uriEncode(r.path.isEmpty ? "/" : r.path, keepSlash: true)
        return ("\(r.method)\n\(path)\n\(query)\n\(headers)\n\(signed)\n\(r.payloadHash)", signed)
    }

    static func trimmed(_ v: String) -> String {
        var out = ""
        var space = false
        for c in v.trimmingCharacters(in: .whitespaces) {
            if c == " " || c == "\t" {
                if !space { out.append(" ") }
                space = true
            } else {
                out.append(c)
                space = false
            }
        }
        return out
    }

    public func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    public func stringToSign(_ r: Request, amzDate: String) -> String {
        let creq = Self.canonical(r).text
        return "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope(day: String(amzDate.prefix(8))))\n\(Self.hex(SHA256.hash(data: Array(creq.utf8))))"
    }

    /// The `Authorization` header's value for `r` at `amzDate` (which `r` must carry as
    /// `X-Amz-Date`, with the session token as `X-Amz-Security-Token` when there is one).
    public func authorization(_ r: Request, amzDate: String) -> String {
        let day = String(amzDate.prefix(8))
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign(r, amzDate: amzDate).utf8), using: key)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(day: day)), "
            + "SignedHeaders=\(Self.canonical(r).signedHeaders), Signature=\(Self.hex(signature))"
    }

    /// The headers to send for a request to `host` at `date`: `X-Amz-Date`,
    /// `X-Amz-Content-SHA256`, the session token if any, and `Authorization` (over these, `Host`
    /// and `extra`). `extra` must hold every other header the request sends that matters.
    public func sign(method: String, host: String, path: String, query: [(String, String)] = [], extra: [(String, String)] = [],
                     payloadHash: String, date: Date) -> [(String, String)] {
        let amz = Self.amzDate(date)
        var headers: [(String, String)] = [("Host", host), ("X-Amz-Date", amz), ("X-Amz-Content-SHA256", payloadHash)]
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        headers += extra
        let auth = authorization(Request(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash), amzDate: amz)
        return headers.filter { $0.0 != "Host" } + [("Authorization", auth)]
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
