// The async variants: concurrent verifications from tasks, one key fetch, the same errors.
import Foundation
import XCTest
@testable import TeleportJWT

final class AsyncTests: XCTestCase {
    func testAsyncVariantsVerifyFromTasks() async throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let v = try classicVerifier(mock)
        let tokens = try (1...8).map { try mock.mint(spec: MintSpec(username: "user\($0)")) }
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for t in tokens { group.addTask { try await v.verifyAsync(token: t).username } }
            var out: [String] = []
            for try await name in group { out.append(name) }
            return out
        }
        XCTAssertEqual(Set(names), Set((1...8).map { "user\($0)" }))
        XCTAssertEqual(v.keyFetchCount(), 1)
        do {
            _ = try await v.verifyAsync(token: "not.a.token")
            XCTFail("accepted garbage")
        } catch let e as VerifyError {
            XCTAssertEqual(e.code, "malformed")
        }
        try await v.warmUpAsync()
    }
}
