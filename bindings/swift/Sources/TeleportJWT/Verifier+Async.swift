// Async variants of the calls that may fetch keys (a first use, a rotation, a refresh after max
// age): they run on a global dispatch queue, so a Swift concurrency task never blocks its
// cooperative thread pool on the network. The same answers and errors as the blocking calls.
import Dispatch

extension Verifier {
    private func offPool<T: Sendable>(_ call: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try call() }) }
        }
    }

    /// `verify(token:)` without blocking the caller's task.
    public func verifyAsync(token: String) async throws -> Identity {
        try await offPool { try self.verify(token: token) }
    }

    /// `verifyHeaderMap(headers:)` without blocking the caller's task.
    public func verifyHeaderMapAsync(headers: [String: String]) async throws -> Identity {
        try await offPool { try self.verifyHeaderMap(headers: headers) }
    }

    /// `authorize(token:)` without blocking the caller's task.
    public func authorizeAsync(token: String) async throws -> Authorized {
        try await offPool { try self.authorize(token: token) }
    }

    /// `authorizeHeaderMap(headers:)` without blocking the caller's task.
    public func authorizeHeaderMapAsync(headers: [String: String]) async throws -> Authorized {
        try await offPool { try self.authorizeHeaderMap(headers: headers) }
    }

    /// `warmUp()` without blocking the caller's task.
    public func warmUpAsync() async throws {
        try await offPool { try self.warmUp() }
    }
}
