import Foundation
import LoomCore

/// Loom's remote cache in an S3 bucket (AWS or any S3-compatible server), laid out like the local
/// store under a prefix:
///
///     <prefix>/blobs/ab/<sha256>   file contents by digest (uploaded signed over that digest)
///     <prefix>/keys/ab/<key>       a key's `RemoteEntry`: artifact digest, listing, manifest
///
/// Nothing read back is trusted (`RemoteTier` checks every blob against its digest and every
/// entry against its key). A key is written only after every blob it names is there, and only
/// if absent (`If-None-Match: *`): two machines pushing the same key at once both succeed and
/// the first entry stays.
public final class S3Remote: RemoteCache {
    public let s3: S3Client
    public let prefix: String

    public init(_ s3: S3Client, prefix: String) {
        self.s3 = s3
        let p = prefix.split(separator: "/").joined(separator: "/")
        self.prefix = p.isEmpty ? "" : p + "/"
    }

    func blobKey(_ d: Digest) -> String { "\(prefix)blobs/\(d.hex.prefix(2))/\(d.hex)" }
    func entryKey(_ k: CacheKey) -> String { "\(prefix)keys/\(k.hex.prefix(2))/\(k.hex)" }

    public func entry(_ key: CacheKey) throws -> [UInt8]? { try s3.get(entryKey(key)) }

    public func putEntry(_ key: CacheKey, _ bytes: [UInt8]) throws {
        try s3.put(entryKey(key), bytes, ifAbsent: true)
    }

    public func hasBlob(_ digest: Digest) throws -> Bool { try s3.exists(blobKey(digest)) }

    public func blob(_ digest: Digest, size: Int64, to path: String) throws -> Bool {
        try s3.download(blobKey(digest), to: path, expectedSize: Int(size))
    }

    public func putBlob(_ digest: Digest, from path: String) throws {
        try s3.upload(blobKey(digest), from: path, sha256: digest.hex)
    }

    /// `<prefix>/jobs/<name>`: a cluster job's outcome and log, deleted once read.
    func jobKey(_ name: String) throws -> String {
        guard Self.validJobObjectName(name) else { throw S3Error(message: "not a job object name: \(name)", status: nil) }
        return "\(prefix)jobs/\(name)"
    }

    public func putJobObject(_ name: String, _ bytes: [UInt8]) throws { try s3.put(jobKey(name), bytes) }
    public func jobObject(_ name: String) throws -> [UInt8]? { try s3.get(jobKey(name)) }
    public func deleteJobObject(_ name: String) throws { try s3.delete(jobKey(name)) }
}

/// Where a remote is and who may use it: `s3://BUCKET/PREFIX`, an endpoint for S3-compatible
/// servers, a region; credentials from the environment as the AWS tools read them.
public struct S3Location: Equatable, Sendable {
    public var bucket: String
    public var prefix: String
    public var endpoint: URL?
    public var region: String?

    /// Parses `s3://BUCKET[/PREFIX]`; nil with the reason otherwise.
    public static func parse(_ url: String) -> Result<(bucket: String, prefix: String), S3Error> {
        guard url.hasPrefix("s3://") else { return .failure(S3Error(message: "remote URL '\(url)': expected s3://BUCKET/PREFIX")) }
        let rest = url.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        // S3's bucket naming rules, loosely: what could never be a bucket is refused here.
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard bucket.count >= 3, bucket.count <= 63, bucket.allSatisfy(allowed.contains), bucket.first != "-", bucket.first != "." else {
            return .failure(S3Error(message: "remote URL '\(url)': '\(bucket)' is not a bucket name (3-63 of a-z 0-9 . -)"))
        }
        let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        guard !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            return .failure(S3Error(message: "remote URL '\(url)': '.' and '..' are not allowed in the prefix"))
        }
        return .success((bucket, prefix))
    }

    /// Credentials as the AWS CLI finds them: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
    /// `AWS_SESSION_TOKEN`, else the profile `AWS_PROFILE` (or `default`) of
    /// `AWS_SHARED_CREDENTIALS_FILE` (or `~/.aws/credentials`).
    public static func credentials(environment env: [String: String]) throws -> SigV4.Credentials {
        if let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw S3Error(message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return .init(accessKey: id, secretKey: secret, sessionToken: env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let profile = env["AWS_PROFILE"] ?? "default"
        let file = env["AWS_SHARED_CREDENTIALS_FILE"] ?? ((env["HOME"] ?? "") + "/.aws/credentials")
        guard let text = try? FileSystem.readText(file) else {
            throw S3Error(message: "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with \(file)")
        }
        let section = ini(text)[profile] ?? [:]
        guard let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw S3Error(message: "\(file) has no aws_access_key_id and aws_secret_access_key for profile '\(profile)'")
        }
        return .init(accessKey: id, secretKey: secret, sessionToken: section["aws_session_token"])
    }

    /// The region: the remote's own, else `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's in
    /// `~/.aws/config`, else us-east-1.
    public static func region(configured: String?, environment env: [String: String]) -> String {
        if let r = configured, !r.isEmpty { return r }
        if let r = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"], !r.isEmpty { return r }
        let profile = env["AWS_PROFILE"] ?? "default"
        let file = env["AWS_CONFIG_FILE"] ?? ((env["HOME"] ?? "") + "/.aws/config")
        if let text = try? FileSystem.readText(file) {
            let sections = ini(text)
            if let r = (sections[profile == "default" ? "default" : "profile \(profile)"] ?? [:])["region"] { return r }
        }
        return "us-east-1"
    }

    /// The endpoint: the remote's own, else `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS.
    public static func endpoint(configured: String?, environment env: [String: String]) throws -> URL? {
        guard let text = configured ?? env["AWS_ENDPOINT_URL_S3"] ?? env["AWS_ENDPOINT_URL"], !text.isEmpty else { return nil }
        guard let u = URL(string: text), u.scheme == "http" || u.scheme == "https", u.host?.isEmpty == false else {
            throw S3Error(message: "endpoint '\(text)': expected http://HOST[:PORT] or https://HOST[:PORT]")
        }
        return u
    }

    /// Sections of an INI file: `[name]` then `key = value` lines; `#`/`;` comments.
    static func ini(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let c = current, let eq = line.firstIndex(of: "=") else { continue }
            out[c, default: [:]][line[..<eq].trimmingCharacters(in: .whitespaces)] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}
