// Mirrors ReasonCodeTest.kt: every reason code of the core reaches Swift as a VerifyError case.
import XCTest
@testable import TeleportJWT

final class ReasonCodeTests: XCTestCase {
    private var mock: MockTeleport!
    private var verifier: Verifier!

    override func setUpWithError() throws {
        mock = try MockTeleport.start(algorithm: .es256)
        verifier = try classicVerifier(mock)
    }

    private func mint(_ spec: MintSpec = MintSpec()) throws -> String { try mock.mint(spec: spec) }

    /// One crafted failure per reason code; the test checks that together they cover them all.
    func testEveryReasonCodeIsReachable() throws {
        var seen = Set<String>()
        func expect<T>(_ code: String, line: UInt = #line, _ block: () throws -> T) {
            if let e = expectCode(code, line: line, block) { seen.insert(e.code) }
        }
        let kid = mock.signingKeyId(ca: .jwt)
        let payload = "{\"iss\":\"\(mock.clusterName())\",\"aud\":\"\(AUD)\",\"sub\":\"a\",\"exp\":\(nowSeconds() + 300)}"

        expect("malformed") { try verifier.verify(token: "not-a-jwt") }
        expect("malformed") { try verifier.verifyHeaders(headers: [Header(name: "Authorization", value: "Basic dXNlcg==")]) }
        expect("token_too_large") { try verifier.verify(token: String(repeating: "a", count: 20_000)) }
        expect("missing_token") { try verifier.verifyHeaders(headers: [Header(name: "Accept", value: "*/*")]) }
        expect("unsupported_header") { try verifier.verify(token: mint(MintSpec(headerOverridesJson: "{\"crit\":[\"exp\"]}"))) }
        expect("unsupported_algorithm") {
            try verifier.verify(token: base64url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + base64url(payload) + ".")
        }
        expect("unsupported_algorithm") {
            try verifier.verify(token: mock.signRaw(ca: .jwt, headerJson: "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"\(kid)\"}", payloadJson: payload))
        }
        let parts = try mint().split(separator: ".")
        let other = try mint(MintSpec(username: "mallory")).split(separator: ".")[1]
        expect("bad_signature") { try verifier.verify(token: "\(parts[0]).\(other).\(parts[2])") }
        expect("unknown_key") { try verifier.verify(token: mint(MintSpec(headerOverridesJson: "{\"kid\":\"no-such-key\"}"))) }
        expect("expired") { try verifier.verify(token: mint(MintSpec(issuedAt: nowSeconds() - 3600))) }
        expect("not_yet_valid") { try verifier.verify(token: mint(MintSpec(claimOverridesJson: "{\"nbf\":\(nowSeconds() + 3600)}"))) }
        expect("issued_in_future") { try verifier.verify(token: mint(MintSpec(claimOverridesJson: "{\"iat\":\(nowSeconds() + 3600)}"))) }
        expect("issuer_mismatch") { try verifier.verify(token: mint(MintSpec(claimOverridesJson: "{\"iss\":\"evil.example.com\"}"))) }
        expect("audience_mismatch") { try verifier.verify(token: mint(MintSpec(audience: ["https://other.example.com"]))) }
        expect("missing_claim") { try verifier.verify(token: mint(MintSpec(removeClaims: ["exp"]))) }
        expect("invalid_claim") { try verifier.verify(token: mint(MintSpec(claimOverridesJson: "{\"exp\":\"soon\"}"))) }

        let down = try MockTeleport.start(algorithm: .rs256)
        let token = try down.mint(spec: MintSpec())
        down.setFailure(failure: .status(code: 500))
        expect("key_source_unavailable") { try classicVerifier(down).verify(token: token) }

        expect("insecure_transport") {
            try Verifier.teleportJwt(proxyUrl: "http://127.0.0.1:3080", clusterName: "teleport.example.com", audience: AUD)
        }
        expect("invalid_config") {
            try Verifier.teleportJwt(proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: "")
        }
        expect("invalid_config") { try classicVerifier(mock, VerifierOptions(headers: ["not a header"])) }

        final class Broken: KeySource, @unchecked Sendable {
            struct Sealed: Error {}
            func fetchJwks() throws -> String { throw Sealed() }
        }
        let plugin = try Verifier.general(issuer: mock.clusterName(), audiences: [AUD], keys: .source(source: Broken()))
        expect("plugin_error") { try plugin.verify(token: mint()) }

        // internal_error is a library bug (a Rust panic caught at the boundary): not provokable.
        XCTAssertEqual(seen, Set(reasonCodes()).subtracting(["internal_error"]))
    }

    func testErrorsAreTypedCases() throws {
        do {
            _ = try verifier.verify(token: mint(MintSpec(issuedAt: nowSeconds() - 3600)))
            XCTFail("accepted an expired token")
        } catch let e as VerifyError {
            guard case .Expired(let message) = e else { return XCTFail("not Expired: \(e)") }
            XCTAssertTrue(message.hasPrefix("expired: "), message)
            XCTAssertEqual(e.code, "expired")
            XCTAssertEqual(message, "expired: \(e.detail)")
        }
    }
}
