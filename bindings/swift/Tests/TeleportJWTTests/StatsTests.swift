// Mirrors StatsTest.kt: Verifier.stats() after a scripted sequence, exact counts.
import Foundation
import XCTest
@testable import TeleportJWT

final class StatsTests: XCTestCase {
    func testCountersFollowAnOutageARecoveryRefusalsAndARotation() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let v = try classicVerifier(mock, VerifierOptions(cacheCooldown: 1))
        let token = try mock.mint(spec: MintSpec())
        mock.setFailure(failure: .status(code: 500))
        expectCode("key_source_unavailable") { try v.verify(token: token) }
        var source = v.stats().keySources[0]
        XCTAssertEqual(source.fetchesOk, 0)
        XCTAssertEqual(source.fetchesFailed, 1)
        XCTAssertTrue(source.lastFetchError?.hasPrefix("key_source_unavailable: ") ?? false)
        XCTAssertFalse(source.servingStale)

        mock.setFailure(failure: .none)
        Thread.sleep(forTimeInterval: 1.1)
        for _ in 0..<3 { XCTAssertEqual(try v.verify(token: token).username, "alice") }
        expectCode("expired") { try v.verify(token: mock.mint(spec: MintSpec(issuedAt: nowSeconds() - 3600))) }
        expectCode("missing_token") { try v.verifyHeaders(headers: []) }
        try mock.rotateNow(ca: .jwt)
        XCTAssertEqual(try v.verify(token: mock.mint(spec: MintSpec(username: "bob"))).username, "bob")

        let s = v.stats()
        XCTAssertEqual(s.accepted, 4)
        XCTAssertEqual(s.refused.filter { $0.value > 0 }, ["key_source_unavailable": 1, "expired": 1, "missing_token": 1])
        XCTAssertEqual(Set(s.refused.keys), Set(reasonCodes()))
        XCTAssertEqual(s.tokenCacheHits, 2)
        XCTAssertEqual(s.tokenCacheMisses, 4)
        source = s.keySources[0]
        XCTAssertEqual(source.fetchesOk, 2)
        XCTAssertEqual(source.unknownKidRefetches, 1)
        XCTAssertNil(source.failingSince)
        XCTAssertEqual(source.fetchDurationBuckets.count, fetchBucketBounds().count + 1)
        XCTAssertTrue(v.prometheusText().contains("teleport_jwt_verifications_total{outcome=\"accepted\"} 4\n"))
    }

    final class Recorder: KeyEventListener, @unchecked Sendable {
        private let lock = NSLock()
        private var _events: [KeyEvent] = []
        var events: [KeyEvent] { lock.lock(); defer { lock.unlock() }; return _events }
        func onEvent(event: KeyEvent) { lock.lock(); _events.append(event); lock.unlock() }
        func clear() { lock.lock(); _events.removeAll(); lock.unlock() }
    }

    func testASwiftListenerHearsTheOutageTheRecoveryAndARotation() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let recorder = Recorder()
        let v = try classicVerifier(mock, VerifierOptions(cacheCooldown: 1, keyEvents: recorder))
        mock.setFailure(failure: .status(code: 500))
        expectCode("key_source_unavailable") { try v.verify(token: mock.mint(spec: MintSpec())) }
        guard case .fetchFailed(_, let code, _, let stale)? = recorder.events.first else {
            return XCTFail("\(recorder.events)")
        }
        XCTAssertEqual(code, "key_source_unavailable")
        XCTAssertFalse(stale)
        recorder.clear()
        mock.setFailure(failure: .none)
        Thread.sleep(forTimeInterval: 1.1)
        let first = mock.signingKeyId(ca: .jwt)
        for _ in 0..<5 { _ = try v.verify(token: mock.mint(spec: MintSpec())) }
        XCTAssertEqual(recorder.events.count, 2)
        guard case .keySetChanged(_, let added, _)? = recorder.events.first else {
            return XCTFail("\(recorder.events)")
        }
        XCTAssertTrue(added.contains(first))
        XCTAssertEqual(recorder.events.last, .fetchRecovered(trustEntry: mock.clusterName(), failedAttempts: 1))
    }

    private func waitFor(_ what: String, _ done: () -> Bool) {
        let deadline = Date().addingTimeInterval(15)
        while !done() {
            if Date() > deadline { return XCTFail("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    func testStaleServingStartsPassesMaxStaleAndRecovers() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let recorder = Recorder()
        let v = try classicVerifier(
            mock, VerifierOptions(cacheMaxAge: 1, cacheCooldown: 1, cacheMaxStale: 2, keyEvents: recorder))
        let token = try mock.mint(spec: MintSpec())
        _ = try v.verify(token: token)
        recorder.clear()
        mock.setFailure(failure: .status(code: 500))
        waitFor("maxStaleExceeded") {
            recorder.events.contains { if case .maxStaleExceeded = $0 { return true } else { return false } }
        }
        let seen = recorder.events
        guard seen.count >= 4, case .fetchFailed(_, _, _, true) = seen[0],
              case .servingStaleStarted(_, let age, let remaining) = seen[1],
              case .servingStaleEnded = seen[seen.count - 2],
              case .maxStaleExceeded(_, _, let maxStale) = seen[seen.count - 1]
        else { return XCTFail("\(seen)") }
        XCTAssertLessThan(age, 2)
        XCTAssertGreaterThan(remaining, 0)
        XCTAssertEqual(maxStale, 2)
        expectCode("key_source_unavailable") { try v.verify(token: token) }
        let source = v.stats().keySources[0]
        XCTAssertFalse(source.servingStale)
        XCTAssertTrue(source.keysUnavailable, "past max_stale: tokens are refused, and the gauge says so")
        XCTAssertGreaterThanOrEqual(source.keysAge ?? 0, 2)
        mock.setFailure(failure: .none)
        waitFor("fetchRecovered") {
            if case .fetchRecovered? = recorder.events.last { return true } else { return false }
        }
        XCTAssertEqual(try v.verify(token: token).username, "alice")
    }

    func testPermissionChecksOnAuthorizesAnswersAreCounted() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let policy = try Policy.fromYaml(text: "rules:\n  - match: { roles_any: [access] }\n    grant: [\"tool:read_*\"]\n")
        let v = try classicVerifier(mock, VerifierOptions(permissionsFrom: .policy(policy: policy)))
        let token = try mock.mint(spec: MintSpec())
        let caller = try v.authorize(token: token)
        XCTAssertTrue(caller.permissions.canCallTool(tool: "read_file"))
        XCTAssertFalse(caller.permissions.allows(permission: "tool:write_file"))
        XCTAssertEqual(try v.authorize(token: token).permissions.filterTools(tools: ["read_a", "drop_b"]), ["read_a"])
        let s = v.stats()
        XCTAssertEqual(s.permissionMappings, 1)
        XCTAssertEqual(s.permissionChecksAllowed, 2)
        XCTAssertEqual(s.permissionChecksDenied, 2)
        XCTAssertEqual(s.policyCappedRules, 0)
    }
}
