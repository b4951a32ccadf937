import AsyncHTTPClient
import Crypto
import Foundation
import LoomCore
import NIOCore
import NIOHTTP1

/// A failure to talk to S3: the server's answer (status and its error code) or the transport's.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: Int?
    public var description: String { message }
}

/// The few S3 calls the remote cache needs (GET, HEAD, PUT, multipart upload), signed with
/// `SigV4`, over async-http-client, blocking the calling thread (never an event loop's).
///
/// Addressing is path-style (`endpoint/bucket/key`) when an endpoint is given (S3-compatible
/// servers), virtual-hosted (`bucket.s3.region.amazonaws.com/key`) for AWS. A call is retried
/// with backoff (0.25 s, then doubling) up to 4 tries on 5xx answers, twice on a failed
/// connection or a timeout; 4xx answers are final.
public final class S3Client: Sendable {
    public let bucket: String
    let scheme: String
    let host: String
    let port: Int?
    let pathStyle: Bool
    let signer: SigV4
    let client: HTTPClient
    /// How long one request may take, end to end.
    let timeout: TimeAmount
    static let tries = 4
    /// The largest answer body accepted (a 64 MiB range and its margin).
    static let maxBody = 80 << 20

    public init(bucket: String, region: String, endpoint: URL?, credentials: SigV4.Credentials, timeout: TimeAmount = .seconds(120)) throws {
        self.bucket = bucket
        if let endpoint {
            guard let s = endpoint.scheme, s == "http" || s == "https", let h = endpoint.host, !h.isEmpty else {
                throw S3Error(message: "endpoint \(endpoint.absoluteString): expected http://HOST[:PORT] or https://HOST[:PORT]")
            }
            scheme = s
            host = h
            port = endpoint.port
            pathStyle = true
        } else {
            scheme = "https"
            host = "\(bucket).s3.\(region).amazonaws.com"
            port = nil
            pathStyle = false
        }
        signer = SigV4(credentials: credentials, region: region)
        client = Self.sharedClient
        self.timeout = timeout
    }

    /// One client for the process (never shut down, like `HTTPClient.shared`), whose connection
    /// attempts give up after 3 s: the pool retries a refused connection until then, so a remote
    /// that is down costs seconds, not the whole request deadline.
    static let sharedClient: HTTPClient = {
        var c = HTTPClient.Configuration()
        c.timeout = .init(connect: .seconds(3), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }()

    var hostHeader: String { port.map { "\(host):\($0)" } ?? host }

    /// The request path of an object (decoded; `SigV4` and the URL encode it).
    func path(_ key: String) -> String { pathStyle ? "/\(bucket)/\(key)" : "/\(key)" }

    func url(_ key: String, query: [(String, String)]) -> String {
        let q = query.isEmpty ? "" : "?" + query.map { SigV4.uriEncode($0.0) + "=" + SigV4.uriEncode($0.1) }.joined(separator: "&")
        return "\(scheme)://\(hostHeader)\(SigV4.uriEncode(path(key), keepSlash: true))\(q)"
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// One signed request, retried as described above; `body` is sent as given.
    func request(_ method: HTTPMethod, _ key: String, query: [(String, String)] = [], extra: [(String, String)] = [],
                 body: [UInt8]? = nil, payloadHash: String? = nil) throws -> Answer {
        var delay = 0.25
        var last: Error = S3Error(message: "no attempt")
        for attempt in 1...Self.tries {
            do {
                let hash = payloadHash ?? (body.map { SigV4.hex(SHA256.hash(data: $0)) } ?? SigV4.emptyPayloadHash)
                var headers = HTTPHeaders()
                for (k, v) in signer.sign(method: method.rawValue, host: hostHeader, path: path(key), query: query, extra: extra,
                                          payloadHash: hash, date: Date()) {
                    headers.add(name: k, value: v)
                }
                let req = try HTTPClient.Request(url: url(key, query: query), method: method, headers: headers,
                                                 body: body.map { .bytes($0) })
                // Bounded: no answer Loom asks for is larger than a 64 MiB range.
                let response = try client.execute(request: req, delegate: ResponseAccumulator(request: req, maxBodySize: Self.maxBody),
                                                  deadline: .now() + timeout).futureResult.wait()
                let bytes = response.body.map { Array($0.readableBytesView) } ?? []
                let answer = Answer(status: Int(response.status.code), headers: response.headers, body: bytes)
                if answer.status >= 500 && attempt < Self.tries {
                    last = Self.failure(method, key, answer)
                    Thread.sleep(forTimeInterval: delay)
                    delay *= 2
                    continue
                }
                return answer
            } catch let e as S3Error {
                throw e
            } catch is ResponseAccumulator.ResponseTooBigError {
                throw S3Error(message: "\(method.rawValue) \(key): the server sent more than \(Self.maxBody >> 20) MiB")
            } catch {
                last = S3Error(message: "\(method.rawValue) \(url(key, query: [])): \(error)")
                // The pool already retried connecting for its 3 s: one more try, not three.
                guard attempt < 2 else { break }
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
        throw last
    }

    /// An answer that is not what was expected, as an error naming the call and S3's code.
    static func failure(_ method: HTTPMethod, _ key: String, _ a: Answer) -> S3Error {
        let text = String(decoding: a.body.prefix(2048), as: UTF8.self)
        let code = tag("Code", in: text) ?? "HTTP \(a.status)"
        let message = tag("Message", in: text).map { ": \($0)" } ?? ""
        return S3Error(message: "S3 \(method.rawValue) \(key): \(code)\(message)", status: a.status)
    }

    /// The text of the first `<name>...</name>` in an XML answer.
    static func tag(_ name: String, in xml: String) -> String? {
        guard let a = xml.range(of: "<\(name)>"), let b = xml.range(of: "</\(name)>", range: a.upperBound..<xml.endIndex) else { return nil }
        return String(xml[a.upperBound..<b.lowerBound])
    }

    /// The object's bytes, or nil if there is no such key.
    public func get(_ key: String) throws -> [UInt8]? {
        let a = try request(.GET, key)
        if a.status == 404 { return nil }
        guard a.status == 200 else { throw Self.failure(.GET, key, a) }
        return a.body
    }

    /// Deletes the object (S3 answers 204 whether or not it existed).
    public func delete(_ key: String) throws {
        let a = try request(.DELETE, key)
        guard a.status == 204 || a.status == 200 || a.status == 404 else { throw Self.failure(.DELETE, key, a) }
    }

    public func exists(_ key: String) throws -> Bool {
        let a = try request(.HEAD, key)
        if a.status == 404 { return false }
        guard a.status == 200 else { throw Self.failure(.HEAD, key, a) }
        return true
    }

    /// Stores an object. With `ifAbsent`, only if the key does not exist yet (returns false when
    /// it did: someone else stored it first).
    @discardableResult
    public func put(_ key: String, _ bytes: [UInt8], payloadHash: String? = nil, ifAbsent: Bool = false) throws -> Bool {
        let a = try request(.PUT, key, extra: ifAbsent ? [("If-None-Match", "*")] : [], body: bytes, payloadHash: payloadHash)
        if ifAbsent && a.status == 412 { return false }
        guard a.status == 200 else { throw Self.failure(.PUT, key, a) }
        return true
    }

    /// Writes the object to a new file at `path`; false (and no file) if there is no such key,
    /// or its size is not `expectedSize` (when given).
    public func download(_ key: String, to path: String, expectedSize: Int? = nil) throws -> Bool {
        // Read in ranges of 64 MiB: a blob larger than memory is never held whole.
        let size = try contentLength(key)
        guard let size, expectedSize == nil || size == expectedSize else { return false }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.fail("cannot create", path) }
        var ok = false
        defer { close(fd); if !ok { unlink(path) } }
        let part = 64 << 20
        var offset = 0
        repeat {
            let end = min(size, offset + part) - 1
            let a = try request(.GET, key, extra: size == 0 ? [] : [("Range", "bytes=\(offset)-\(end)")])
            if a.status == 404 { return false }
            guard a.status == 200 || a.status == 206 else { throw Self.failure(.GET, key, a) }
            guard a.body.count == (size == 0 ? a.body.count : end - offset + 1) else {
                throw S3Error(message: "S3 GET \(key): expected \(end - offset + 1) bytes at \(offset), got \(a.body.count)")
            }
            try a.body.withUnsafeBufferPointer { b in
                var done = 0
                while done < b.count {
                    let n = write(fd, b.baseAddress! + done, b.count - done)
                    if n < 0 { if errno == EINTR { continue }; throw FileSystem.fail("cannot write", path) }
                    done += n
                }
            }
            offset += a.body.count
        } while offset < size
        ok = true
        return true
    }

    /// The object's size, or nil if there is no such key.
    func contentLength(_ key: String) throws -> Int? {
        let a = try request(.HEAD, key)
        if a.status == 404 { return nil }
        guard a.status == 200 else { throw Self.failure(.HEAD, key, a) }
        guard let n = a.headers.first(name: "Content-Length").flatMap(Int.init) else {
            throw S3Error(message: "S3 HEAD \(key): no Content-Length")
        }
        return n
    }

    /// Uploads a file: one PUT up to `multipartAbove` bytes, a multipart upload (parts of
    /// `partSize`, each signed over its own SHA-256) above. `sha256` is the whole file's, when
    /// known (the server checks the body against it).
    public func upload(_ key: String, from path: String, sha256: String? = nil, multipartAbove: Int = 64 << 20, partSize: Int = 16 << 20) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileSystem.fail("cannot stat", path) }
        let size = Int(st.st_size)
        if size <= multipartAbove {
            try put(key, try FileSystem.readBytes(path), payloadHash: sha256)
            return
        }
        let start = try request(.POST, key, query: [("uploads", "")])
        guard start.status == 200, let id = Self.tag("UploadId", in: String(decoding: start.body, as: UTF8.self)) else {
            throw Self.failure(.POST, key, start)
        }
        do {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileSystem.fail("cannot open", path) }
            defer { close(fd) }
            var etags: [String] = []
            var offset = 0
            while offset < size {
                var chunk = [UInt8](repeating: 0, count: min(partSize, size - offset))
                let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
                guard n == chunk.count else { throw FileSystem.fail("cannot read", path) }
                let a = try request(.PUT, key, query: [("partNumber", String(etags.count + 1)), ("uploadId", id)], body: chunk)
                guard a.status == 200, let etag = a.headers.first(name: "ETag") else { throw Self.failure(.PUT, key, a) }
                etags.append(etag)
                offset += n
                chunk = []
            }
            let xml = "<CompleteMultipartUpload>" + etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let done = try request(.POST, key, query: [("uploadId", id)], body: Array(xml.utf8))
            // S3 may answer 200 with an error in the body.
            guard done.status == 200, !String(decoding: done.body, as: UTF8.self).contains("<Error>") else { throw Self.failure(.POST, key, done) }
        } catch {
            _ = try? request(.DELETE, key, query: [("uploadId", id)])
            throw error
        }
    }
}
