// Mirrors PluginTest.kt: Swift implementations of the plug-in points, used for real verifications.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Security)
import Security
#endif
import XCTest
@testable import TeleportJWT

#if canImport(Security)
/// An `HttpFetcher` on URLSession that trusts exactly the given CA (the mock's), through a trust
/// challenge (Apple platforms).
final class URLSessionFetcher: NSObject, HttpFetcher, URLSessionDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var _urls: [String] = []
    var urls: [String] { lock.lock(); defer { lock.unlock() }; return _urls }
    private let anchor: SecCertificate

    init(caPem: String) {
        let base64 = caPem
            .components(separatedBy: "\n")
            .filter { !$0.hasPrefix("-----") }
            .joined()
        anchor = SecCertificateCreateWithData(nil, Data(base64Encoded: base64)! as CFData)!
    }

    func urlSession(
        _ session: URLSession, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        guard let trust = challenge.protectionSpace.serverTrust else {
            return completionHandler(.performDefaultHandling, nil)
        }
        SecTrustSetAnchorCertificates(trust, [anchor] as CFArray)
        SecTrustSetAnchorCertificatesOnly(trust, true)
        if SecTrustEvaluateWithError(trust, nil) {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }

    func get(url: String, timeout: TimeInterval, maxBodyBytes: Int64) throws -> HttpResponse {
        lock.lock(); _urls.append(url); lock.unlock()
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = timeout
        let done = DispatchSemaphore(value: 0)
        var result: Result<HttpResponse, Error> = .failure(URLError(.unknown))
        session.dataTask(with: request) { data, response, error in
            if let error = error {
                result = .failure(error)
            } else {
                let status = Int32((response as? HTTPURLResponse)?.statusCode ?? 0)
                result = .success(HttpResponse(status: status, body: (data ?? Data()).prefix(Int(maxBodyBytes) + 1)))
            }
            done.signal()
        }.resume()
        done.wait()
        return try result.get()
    }
}
#else
/// On Linux, FoundationNetworking's URLSession cannot trust a CA of the test's own (no trust
/// challenge; its CA-file variable is Android-only), so the fetcher answers each URL the core
/// asks for with the document the mock serves there: the same plug-in contract (the URLs, the
/// status and body handed back, the size cap), without TLS.
final class URLSessionFetcher: HttpFetcher, @unchecked Sendable {
    private let lock = NSLock()
    private var _urls: [String] = []
    var urls: [String] { lock.lock(); defer { lock.unlock() }; return _urls }
    private let mock: MockTeleport

    init(mock: MockTeleport) { self.mock = mock }

    func get(url: String, timeout: TimeInterval, maxBodyBytes: Int64) throws -> HttpResponse {
        lock.lock(); _urls.append(url); lock.unlock()
        XCTAssertGreaterThan(timeout, 0)
        let body: String
        switch URL(string: url)?.path {
        case "/.well-known/jwks.json": body = mock.jwksJson(ca: .jwt)
        case "/.well-known/jwks-oidc": body = mock.jwksJson(ca: .oidc)
        case "/.well-known/openid-configuration": body = mock.discoveryJson()
        default: return HttpResponse(status: 404, body: Data("{}".utf8))
        }
        return HttpResponse(status: 200, body: Data(body.utf8).prefix(Int(maxBodyBytes) + 1))
    }
}
#endif

final class PluginTests: XCTestCase {
    func testASwiftHttpFetcherFetchesTheKeysForClassicAndIdTokens() throws {
        let mock = try MockTeleport.start(algorithm: .es256)
        #if canImport(Security)
        let fetcher = URLSessionFetcher(caPem: mock.caPem())
        #else
        let fetcher = URLSessionFetcher(mock: mock)
        #endif
        let verifier = try Verifier.fromEntries(entries: [
            .teleportJwt(proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD),
            .teleportIdToken(proxyUrl: mock.proxyUrl(), audience: AUD),
        ], options: VerifierOptions(httpFetcher: fetcher))
        XCTAssertEqual(try verifier.verify(token: mock.mint(spec: MintSpec())).algorithm, .es256)
        XCTAssertEqual(try verifier.verify(token: mock.mint(spec: MintSpec(kind: .idToken))).kind, .idToken)
        XCTAssertEqual(fetcher.urls, [mock.jwksUrl(), mock.discoveryUrl(), mock.jwksOidcUrl()])
    }

    func testAThrowingSwiftFetcherIsKeySourceUnavailableWithItsMessage() throws {
        final class Throwing: HttpFetcher, @unchecked Sendable {
            struct ProxySaidNo: Error, CustomStringConvertible { var description: String { "corporate proxy said no" } }
            func get(url: String, timeout: TimeInterval, maxBodyBytes: Int64) throws -> HttpResponse { throw ProxySaidNo() }
        }
        let mock = try MockTeleport.start(algorithm: .rs256)
        let verifier = try Verifier.teleportJwt(
            proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD,
            options: VerifierOptions(httpFetcher: Throwing()))
        let e = expectCode("key_source_unavailable") { try verifier.verify(token: mock.mint(spec: MintSpec())) }
        XCTAssertTrue("\(String(describing: e))".contains("corporate proxy said no"))
    }

    func testASwiftKeySourceProvidesTheKeys() throws {
        final class FromMock: KeySource, @unchecked Sendable {
            let mock: MockTeleport
            var calls = 0
            init(_ mock: MockTeleport) { self.mock = mock }
            func fetchJwks() throws -> String { calls += 1; return mock.jwksJson(ca: .jwt) }
        }
        let mock = try MockTeleport.start(algorithm: .es256)
        let source = FromMock(mock)
        let verifier = try Verifier.general(issuer: mock.clusterName(), audiences: [AUD], keys: .source(source: source))
        for _ in 0..<3 { XCTAssertEqual(try verifier.verify(token: mock.mint(spec: MintSpec())).username, "alice") }
        XCTAssertEqual(source.calls, 1)
        XCTAssertEqual(mock.requestCount(), 0)
    }

    func testAKeySourceMayReportAnOutageWithItsOwnReason() throws {
        final class Down: KeySource, @unchecked Sendable {
            func fetchJwks() throws -> String { throw PluginFailure.Failed(code: "key_source_unavailable", detail: "vault unreachable") }
        }
        let mock = try MockTeleport.start(algorithm: .es256)
        let verifier = try Verifier.general(issuer: mock.clusterName(), audiences: [AUD], keys: .source(source: Down()))
        let e = expectCode("key_source_unavailable") { try verifier.verify(token: mock.mint(spec: MintSpec())) }
        XCTAssertEqual(e, VerifyError.KeySourceUnavailable(message: "key_source_unavailable: vault unreachable"))
        XCTAssertEqual(e?.detail, "vault unreachable")
    }

    func testASwiftClockPinsTime() throws {
        final class Pinned: VerifierClock, @unchecked Sendable {
            let millis: Int64
            init(_ millis: Int64) { self.millis = millis }
            func nowUnixMillis() -> Int64 { millis }
        }
        let mock = try MockTeleport.start(algorithm: .rs256)
        let issued: Int64 = 1_700_000_000
        let token = try mock.mint(spec: MintSpec(issuedAt: issued))
        let verifier = try classicVerifier(mock, VerifierOptions(clock: Pinned((issued + 60) * 1000)))
        XCTAssertEqual(try verifier.verifyHeaders(headers: [Header(name: "Teleport-Jwt-Assertion", value: token)]).issuedAt, issued)
    }
}
