/// A bug in Loom, not a user mistake: reported through one path with its own exit code.
public struct InternalError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "internal error: \(message) (this is a bug in Loom; please report it)" }
}
