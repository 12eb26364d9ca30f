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

    func testEveryAsyncFormAnswersAsItsBlockingTwin() async throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let policy = try Policy.fromJson(text: #"{"rules":[{"match":{"roles_any":["access"]},"grant":["tool:*"]}]}"#)
        let v = try classicVerifier(mock, VerifierOptions(permissionsFrom: .policy(policy: policy)))
        let token = try mock.mint(spec: MintSpec())
        let list = [Header(name: "Authorization", value: "Bearer \(token)")]
        let map = ["Teleport-Jwt-Assertion": token]
        // The first call fetches the keys (on a pool thread), the others answer from the cache.
        let byList = try await v.verifyHeadersAsync(headers: list)
        XCTAssertEqual(byList.username, try v.verifyHeaders(headers: list).username)
        let byMap = try await v.verifyHeaderMapAsync(headers: map)
        XCTAssertEqual(byMap.username, "alice")
        let authorized = [
            try await v.authorizeAsync(token: token),
            try await v.authorizeHeadersAsync(headers: list),
            try await v.authorizeHeaderMapAsync(headers: map),
        ]
        XCTAssertTrue(authorized.allSatisfy { $0.permissions.canCallTool(tool: "x") })
        XCTAssertEqual(v.keyFetchCount(), 1)
        do {
            _ = try await v.authorizeHeaderMapAsync(headers: [:])
            XCTFail("no token, yet authorized")
        } catch let e as VerifyError {
            XCTAssertEqual(e.code, "missing_token")
        }
    }
}
