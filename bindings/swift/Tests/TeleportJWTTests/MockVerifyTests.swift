// Mirrors MockVerifyTest.kt: real tokens minted by the mock, keys fetched over loopback HTTPS.
import XCTest
@testable import TeleportJWT

final class MockVerifyTests: XCTestCase {
    func testClassicJwtVerifiesWithRs256AndEs256() throws {
        for alg in [Algorithm.rs256, .es256] {
            let mock = try MockTeleport.start(algorithm: alg)
            let verifier = try classicVerifier(mock)
            let token = try mock.mint(spec: MintSpec(
                username: "bob", roles: ["access", "mcp-reader"], traits: ["logins": ["bob", "root"]]))
            let id = try verifier.verify(token: token)
            XCTAssertEqual(id.username, "bob")
            XCTAssertEqual(id.sub, "bob")
            XCTAssertEqual(id.roles, ["access", "mcp-reader"])
            XCTAssertEqual(id.traits, ["logins": ["bob", "root"]])
            XCTAssertEqual(id.issuer, mock.clusterName())
            XCTAssertEqual(id.audience, [AUD])
            XCTAssertEqual(id.algorithm, alg)
            XCTAssertEqual(id.kind, .teleportJwt)
            XCTAssertEqual(id.keyId, mock.signingKeyId(ca: .jwt))
            XCTAssertNotNil(id.jti)
            XCTAssertEqual(id.notBefore, id.issuedAt.map { $0 - 10 })
            XCTAssertEqual(id.expiresAt, (id.issuedAt ?? 0) + 300)
            let claims = try JSONSerialization.jsonObject(with: Data(id.claimsJson.utf8)) as? [String: Any]
            XCTAssertEqual(claims?["username"] as? String, "bob")
        }
    }

    func testIdTokenVerifiesThroughDiscoveryWithRs256AndEs256() throws {
        for alg in [Algorithm.rs256, .es256] {
            let mock = try MockTeleport.startWith(options: MockOptions(idTokenAlgorithm: alg))
            let verifier = try Verifier.teleportIdToken(proxyUrl: mock.proxyUrl(), audience: AUD, options: trusting(mock))
            let id = try verifier.verify(token: mock.mint(spec: MintSpec(kind: .idToken)))
            XCTAssertEqual(id.username, "alice")
            XCTAssertEqual(id.issuer, mock.idTokenIssuer())
            XCTAssertEqual(id.kind, .idToken)
            XCTAssertEqual(id.algorithm, alg)
            XCTAssertEqual(mock.requestCountForPath(path: "/.well-known/openid-configuration"), 1)
            XCTAssertEqual(mock.requestCountForPath(path: "/.well-known/jwks-oidc"), 1)
        }
    }

    func testSeveralTrustEntriesSideBySide() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let verifier = try Verifier.fromEntries(entries: [
            .teleportJwt(proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD, name: "root-jwt"),
            .teleportIdToken(proxyUrl: mock.proxyUrl(), audience: AUD, name: "root-id"),
        ], options: trusting(mock))
        XCTAssertEqual(try verifier.verify(token: mock.mint(spec: MintSpec())).trustEntry, "root-jwt")
        let id = try verifier.verify(token: mock.mint(spec: MintSpec(kind: .idToken)))
        XCTAssertEqual(id.trustEntry, "root-id")
        XCTAssertEqual(id.algorithm, .rs256)
    }

    func testGeneralFormAndVerifyHeaders() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let verifier = try Verifier.general(
            issuer: mock.clusterName(), audiences: [AUD], keys: .jwksUrl(url: mock.jwksUrl()), options: trusting(mock))
        let token = try mock.mint(spec: MintSpec())
        XCTAssertEqual(try verifier.verifyHeaders(headers: [Header(name: "Teleport-Jwt-Assertion", value: token)]).kind, .generic)
        XCTAssertEqual(try verifier.verifyHeaders(headers: [Header(name: "authorization", value: "Bearer \(token)")]).username, "alice")
        XCTAssertEqual(try verifier.verifyHeaderMap(headers: ["teleport-jwt-assertion": token]).username, "alice")
        XCTAssertEqual(verifier.keyFetchCount(), 1)
    }

    func testRotationWithoutGracePeriodIsPickedUp() throws {
        let mock = try MockTeleport.start(algorithm: .rs256)
        let verifier = try classicVerifier(mock)
        _ = try verifier.verify(token: mock.mint(spec: MintSpec()))
        let before = mock.signingKeyId(ca: .jwt)
        try mock.rotateNow(ca: .jwt)
        XCTAssertNotEqual(before, mock.signingKeyId(ca: .jwt))
        XCTAssertEqual(try verifier.verify(token: mock.mint(spec: MintSpec())).keyId, mock.signingKeyId(ca: .jwt))
        XCTAssertEqual(mock.requestCountForPath(path: JWKS_PATH), 2)
    }

    func testWarmUpFetchesBeforeTheFirstRequest() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        let verifier = try classicVerifier(mock)
        try verifier.warmUp()
        XCTAssertEqual(mock.requestCountForPath(path: JWKS_PATH), 1)
        _ = try verifier.verify(token: mock.mint(spec: MintSpec()))
        XCTAssertEqual(mock.requestCountForPath(path: JWKS_PATH), 1)
    }

    func testDefaultsShownToSwiftAreTheCores() {
        let d = defaultVerifierOptions()
        XCTAssertEqual(d.leeway, 60)
        XCTAssertEqual(d.headers, ["Teleport-Jwt-Assertion", "Authorization: Bearer"])
        XCTAssertEqual(d.allowInsecureHttpForLoopback, false)
    }
}
