// Mirrors ConcurrencyTest.kt: one verifier shared by 8 threads; one key fetch for a cold cache.
import Foundation
import XCTest
@testable import TeleportJWT

final class ConcurrencyTests: XCTestCase {
    func testEightThreadsShareOneColdVerifier() throws {
        let threads = 8
        let mock = try MockTeleport.start(algorithm: .es256)
        let verifier = try classicVerifier(mock)
        let tokens = try (0..<threads).map { try mock.mint(spec: MintSpec(username: "user\($0)")) }
        let lock = NSLock()
        var results = [String](repeating: "", count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { i in
            var outcome: String
            do {
                let names = Set(try (1...50).map { _ in try verifier.verify(token: tokens[i]).username })
                outcome = names.sorted().joined(separator: ",")
            } catch {
                outcome = "failed: \(error)"
            }
            lock.lock(); results[i] = outcome; lock.unlock()
        }
        XCTAssertEqual(results, (0..<threads).map { "user\($0)" })
        XCTAssertEqual(mock.requestCountForPath(path: JWKS_PATH), 1)
        XCTAssertEqual(verifier.keyFetchCount(), 1)
    }
}
