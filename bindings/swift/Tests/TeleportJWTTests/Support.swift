// Helpers shared by the XCTest suites; they mirror bindings/kotlin/src/test/kotlin/.../Support.kt.
import Foundation
import XCTest
@testable import TeleportJWT

/// The audience the mock mints by default: the app's `uri` as configured in Teleport.
let AUD = "mcp+http://127.0.0.1:8000/mcp"
let JWKS_PATH = "/.well-known/jwks.json"

func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// Options that trust the mock's own TLS CA.
func trusting(_ mock: MockTeleport) -> VerifierOptions {
    VerifierOptions(caPem: mock.caPem())
}

/// A classic-JWT verifier for `mock` over loopback HTTPS.
func classicVerifier(_ mock: MockTeleport, _ options: VerifierOptions? = nil) throws -> Verifier {
    var o = options ?? VerifierOptions()
    o.caPem = mock.caPem()
    return try Verifier.teleportJwt(proxyUrl: mock.proxyUrl(), clusterName: mock.clusterName(), audience: AUD, options: o)
}

/// Runs `block`, expects a `VerifyError` with reason `code`, and returns it.
@discardableResult
func expectCode<T>(
    _ code: String, file: StaticString = #filePath, line: UInt = #line, _ block: () throws -> T
) -> VerifyError? {
    do {
        _ = try block()
        XCTFail("expected \(code), but it succeeded", file: file, line: line)
    } catch let e as VerifyError {
        XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected VerifyError \(code), got \(error)", file: file, line: line)
    }
    return nil
}

func base64url(_ s: String) -> String {
    Data(s.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
