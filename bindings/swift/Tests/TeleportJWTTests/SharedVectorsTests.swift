// Mirrors SharedVectorsTest.kt and core/tests/it/shared_vectors.rs: tests/vectors/verify_cases.json
// gives the same identities and reason codes in every language.
import Foundation
import XCTest
@testable import TeleportJWT

final class SharedVectorsTests: XCTestCase {
    /// bindings/swift/Tests/TeleportJWTTests/ -> repository root -> tests/vectors/.
    private let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tests/vectors/verify_cases.json")

    final class Pinned: VerifierClock, @unchecked Sendable {
        let millis: Int64
        init(_ millis: Int64) { self.millis = millis }
        func nowUnixMillis() -> Int64 { millis }
    }

    private func fields(_ id: Identity) -> [String: Any?] {
        ["username": id.username, "sub": id.sub, "roles": id.roles, "traits": id.traits,
         "issuer": id.issuer, "audience": id.audience, "expires_at": id.expiresAt,
         "issued_at": id.issuedAt, "not_before": id.notBefore, "key_id": id.keyId,
         "algorithm": id.algorithm == .rs256 ? "RS256" : "ES256"]
    }

    /// Compares a JSON value with a Swift value (numbers as Int64, null as nil).
    private func same(_ want: Any, _ got: Any?) -> Bool {
        switch (want, got) {
        case (is NSNull, nil): return true
        case (let w as NSNumber, let g as Int64): return w.int64Value == g
        case (let w as String, let g as String): return w == g
        case (let w as [String], let g as [String]): return w == g
        case (let w as [String: [String]], let g as [String: [String]]): return w == g
        default: return false
        }
    }

    func testSharedVectorsGiveTheExpectedIdentityOrReason() throws {
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as! [String: Any]
        let issuer = doc["issuer"] as! String
        let audience = doc["audience"] as! String
        let now = (doc["now"] as! NSNumber).int64Value
        let keys = doc["keys"] as! [String: Any]
        func verifier(_ name: String, clock: VerifierClock? = nil) throws -> Verifier {
            let jwks = String(data: try JSONSerialization.data(withJSONObject: keys[name]!), encoding: .utf8)!
            return try Verifier.general(issuer: issuer, audiences: [audience], keys: .staticJwks(json: jwks),
                                        options: VerifierOptions(clock: clock))
        }
        let plain = ["rs256": try verifier("rs256"), "es256": try verifier("es256")]
        let pinned = ["rs256": try verifier("rs256", clock: Pinned(now * 1000)),
                      "es256": try verifier("es256", clock: Pinned(now * 1000))]
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(cases.count, 37, "the file lost cases")
        var reasonsSeen = Set<String>()
        for c in cases {
            let name = c["name"] as! String
            let k = c["keys"] as! String
            let expect = c["expect"] as! [String: Any]
            let result: Result<Identity, Error>
            if let token = c["token"] as? String {
                result = Result { try plain[k]!.verifyAt(token: token, unixSeconds: now) }
            } else if let hs = c["headers"] as? [[String]] {
                result = Result { try pinned[k]!.verifyHeaders(headers: hs.map { Header(name: $0[0], value: $0[1]) }) }
            } else {
                XCTFail("\(name): no token and no headers"); continue
            }
            switch (expect["ok"] as? [String: Any], expect["error"] as? String, result) {
            case (let want?, _, .success(let id)):
                let got = fields(id)
                for (field, value) in want {
                    XCTAssertTrue(same(value, got[field] ?? nil), "\(name): field \(field)")
                }
            case (_, let code?, .failure(let e as VerifyError)):
                XCTAssertEqual(e.code, code, "\(name): \(e)")
                reasonsSeen.insert(code)
            default:
                XCTFail("\(name): expected \(expect), got \(result)")
            }
        }
        XCTAssertGreaterThanOrEqual(reasonsSeen.count, 13, "reason codes covered: \(reasonsSeen)")
    }
}
