// Parity with the core's description of the cross-language API (`teleport_jwt::api`), as
// ParityTest.kt and test_parity.py check it: an operation, option or reason the core lists and
// Swift lacks fails here.
import Foundation
import XCTest
@testable import TeleportJWT

final class ParityTests: XCTestCase {
    private func lowerCamel(_ snake: String) -> String {
        let words = snake.split(separator: "_").map(String.init)
        return words.enumerated().map { i, w in i == 0 ? w : w.prefix(1).uppercased() + w.dropFirst() }.joined()
    }

    /// The generated Swift API, for what reflection cannot list (a protocol's methods).
    private func generatedSource() throws -> String {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let file = tests.appendingPathComponent("../../Sources/TeleportJWT/TeleportJWT.swift").standardized
        return try String(contentsOf: file, encoding: .utf8)
    }

    func testEveryVerifierOperationExistsInLowerCamelCase() throws {
        let source = try generatedSource()
        guard let start = source.range(of: "public protocol VerifierProtocol"),
              let end = source.range(of: "\n}", range: start.upperBound..<source.endIndex) else {
            return XCTFail("no VerifierProtocol in the generated source")
        }
        let protocolText = source[start.lowerBound..<end.upperBound]
        let missing = apiVerifierOperations().map(lowerCamel).filter { !protocolText.contains("func \($0)(") }
        XCTAssertEqual(missing, [], "Verifier lacks operations of the core's table")
    }

    /// The operations of the core's table that never wait for a key fetch, so have no async
    /// form (the core's `OPERATIONS_THAT_NEVER_WAIT`). The `_at` forms (replaying recorded
    /// tokens and test vectors) have none either, as in Python.
    private let neverWaits = Set(apiOperationsThatNeverWait())

    func testEveryOperationThatMayFetchKeysHasAnAsyncFormAndNoOtherHas() throws {
        let source = try generatedSource()
        guard let protocolText = declaration("public protocol VerifierProtocol", in: source) else {
            return XCTFail("no VerifierProtocol in the generated source")
        }
        let operations = apiVerifierOperations()
        XCTAssertTrue(neverWaits.isSubset(of: Set(operations)), "the exemptions name operations of the core's table")
        let want = operations.filter { !$0.hasSuffix("_at") && !neverWaits.contains($0) }
            // A header operation has its map form (`verify_headers` and `verify_header_map`).
            .flatMap { $0.hasSuffix("_headers") ? [$0, String($0.dropLast("_headers".count)) + "_header_map"] : [$0] }
            .map { lowerCamel($0 + "_async") }
        XCTAssertTrue(want.contains("verifyAsync") && want.contains("warmUpAsync"), "\(want)")
        let asyncFuncs = protocolText.split(separator: "\n")
            .filter { $0.contains(" async ") || $0.hasSuffix(" async") }
            .compactMap { line -> String? in
                guard let f = line.range(of: "func "), let paren = line.range(of: "(", range: f.upperBound..<line.endIndex) else { return nil }
                return String(line[f.upperBound..<paren.lowerBound])
            }
        XCTAssertEqual(asyncFuncs.sorted(), want.sorted(), "Verifier's async funcs")
        let missingTwins = want.map { String($0.dropLast("Async".count)) }.filter { !protocolText.contains("func \($0)(") }
        XCTAssertEqual(missingTwins, [], "each async form's blocking twin")
    }

    func testEveryMockOperationExistsInLowerCamelCase() throws {
        let source = try generatedSource()
        guard let start = source.range(of: "public protocol MockTeleportProtocol"),
              let end = source.range(of: "\n}", range: start.upperBound..<source.endIndex) else {
            return XCTFail("no MockTeleportProtocol in the generated source")
        }
        let protocolText = source[start.lowerBound..<end.upperBound]
        let operations = apiMockOperations()
        XCTAssertFalse(operations.isEmpty, "the core describes the mock's operations")
        let missing = operations.map(lowerCamel).filter { !protocolText.contains("func \($0)(") }
        XCTAssertEqual(missing, [], "MockTeleport lacks operations of the core's table")
    }

    /// The text of the generated declaration starting with `start`, up to its closing brace.
    private func declaration(_ start: String, in source: String) -> Substring? {
        guard let from = source.range(of: start),
              let end = source.range(of: "\n}", range: from.upperBound..<source.endIndex) else { return nil }
        return source[from.lowerBound..<end.upperBound]
    }

    func testPolicyPermissionsAndExplanationHaveEverythingTheCoreLists() throws {
        let source = try generatedSource()
        guard let policy = declaration("public protocol PolicyProtocol", in: source),
              let permissions = declaration("public protocol PermissionsProtocol", in: source) else {
            return XCTFail("no PolicyProtocol or PermissionsProtocol in the generated source")
        }
        let missing = apiPolicyOperations().map(lowerCamel).filter {
            !policy.contains("func \($0)(") && !source.contains("public static func \($0)(")
        }
        XCTAssertEqual(missing, [], "Policy lacks operations of the core's table")
        XCTAssertEqual(apiPermissionsOperations().map(lowerCamel).filter { !permissions.contains("func \($0)(") }, [])
        let policyValue = try Policy.fromJson(text: #"{"rules": [{"name": "all", "match": {}, "grant": ["a:*"]}]}"#)
        let alice = Identity(
            username: "alice", sub: "alice", roles: [], traits: [:], issuer: "t", audience: ["aud"],
            expiresAt: 0, issuedAt: nil, notBefore: nil, jti: nil, keyId: nil,
            algorithm: .rs256, trustEntry: "t", kind: .teleportJwt, claimsJson: "{}")
        let e = try policyValue.explanation(identity: alice, permission: "a:x")
        XCTAssertEqual(Mirror(reflecting: e).children.compactMap(\.label), apiExplanationFields().map(lowerCamel))
    }

    /// A VerifyError of the variant at `index` (1-based, the core's order), as the library sends it.
    private func error(variant index: Int, message: String) throws -> VerifyError {
        var bytes: [UInt8] = []
        func int32(_ n: Int) { withUnsafeBytes(of: Int32(n).bigEndian) { bytes.append(contentsOf: $0) } }
        int32(index)
        int32(message.utf8.count)
        bytes.append(contentsOf: message.utf8)
        var buf = (data: Data(bytes), offset: 0)
        return try FfiConverterTypeVerifyError.read(from: &buf)
    }

    func testOneErrorCasePerReasonNamedByTheCore() throws {
        let reasons = apiReasons()
        XCTAssertEqual(reasons.map(\.code), reasonCodes())
        for (i, r) in reasons.enumerated() {
            let e = try error(variant: i + 1, message: "\(r.code): why")
            XCTAssertEqual(Mirror(reflecting: e).children.first?.label, r.typeName)
            XCTAssertEqual(e.code, r.code)
            XCTAssertEqual(e.detail, "why")
        }
    }

    func testEveryTrustEntryFormHasEveryOption() {
        let forms: [TrustEntry] = [
            .teleportJwt(proxyUrl: "https://t", clusterName: "t", audience: AUD, name: nil, requireIat: nil),
            .teleportIdToken(proxyUrl: "https://t", audience: AUD, name: nil, requireIat: nil),
            .general(issuer: "t", audiences: [AUD], keys: .staticJwks(json: "{}"), name: nil, requireIat: nil),
        ]
        for form in forms {
            guard let values = Mirror(reflecting: form).children.first?.value else { return XCTFail("\(form)") }
            let labels = Set(Mirror(reflecting: values).children.compactMap(\.label))
            for option in apiTrustEntryOptions() {
                XCTAssertTrue(labels.contains(lowerCamel(option)), "\(form) lacks \(option)")
            }
        }
    }

    func testEveryVerifierOptionOfTheCoreIsAVerifierOptionsField() {
        let fields = Dictionary(uniqueKeysWithValues: Mirror(reflecting: VerifierOptions()).children.compactMap { c in
            c.label.map { ($0, "\(type(of: c.value))") }
        })
        for o in apiVerifierOptions() {
            let name = lowerCamel(o.name)
            let want: String
            switch o.kind {
            case "duration": want = "Optional<Double>"  // TimeInterval, seconds
            case "count": want = "Optional<Int64>"
            case "flag": want = "Optional<Bool>"
            case "text": want = "Optional<String>"
            default: want = "Optional<Array<String>>"
            }
            XCTAssertEqual(fields[name], want, "VerifierOptions.\(name) (\(o.kind))")
        }
        let plugins: Set<String> = ["httpFetcher", "clock", "permissionsFrom", "keyEvents"]
        let known = Set(apiVerifierOptions().map { lowerCamel($0.name) })
        XCTAssertEqual(Set(fields.keys).subtracting(known).subtracting(plugins), [])
    }
}
