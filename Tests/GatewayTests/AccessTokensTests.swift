import RPCCore
import Testing

@testable import Gateway

@Suite("SHA-256 and bearer tokens")
struct AccessTokensTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256MatchesTheStandardVectors(input: String, digest: String) {
        #expect(TokenDigest.hex(TokenDigest.of(input)) == digest)
    }

    @Test func sha256OfAMillionAs() {
        let digest = TokenDigest.of(String(repeating: "a", count: 1_000_000))
        #expect(TokenDigest.hex(digest) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    static let file = """
        tokens:
          - name: checkout
            sha256: \(TokenDigest.hex(TokenDigest.of("s3cret")))
            models: [iris]
          - name: ops
            env: OPS_TOKEN
            admin: true
        """

    @Test func tokensAuthenticateAndAuthorize() throws {
        let tokens = try AccessTokens(yaml: Self.file, file: "tokens.yaml", environment: ["OPS_TOKEN": "root-pass"])
        #expect(try tokens.authenticate(["authorization": "Bearer s3cret"]).name == "checkout")
        #expect(try tokens.authenticate(["authorization": "bearer root-pass"]).name == "ops")
        try tokens.authorize(["authorization": "Bearer s3cret"], model: "iris")
        try tokens.authorize(["authorization": "Bearer root-pass"], model: "anything")
        try tokens.authorizeAdmin(["authorization": "Bearer root-pass"])

        #expect(throws: RPCError(.unauthenticated, "a bearer token is required (authorization: Bearer TOKEN)")) {
            try tokens.authenticate([:])
        }
        #expect(throws: RPCError(.unauthenticated, "the bearer token is not valid")) {
            try tokens.authenticate(["authorization": "Bearer s3cret2"])
        }
        #expect(throws: RPCError(.permissionDenied, "this token may not call model \"wine\"")) {
            try tokens.authorize(["authorization": "Bearer s3cret"], model: "wine")
        }
        #expect(throws: RPCError(.permissionDenied, "this token may not use the admin service (it needs admin: true)")) {
            try tokens.authorizeAdmin(["authorization": "Bearer s3cret"])
        }
    }

    @Test(arguments: [
        ("tokens: []", "tokens.yaml: tokens: must be a non-empty list"),
        ("tokens:\n  - {name: a}", "tokens.yaml: tokens[0]: needs exactly one of sha256 or env"),
        ("tokens:\n  - {name: a, sha256: abc}", "tokens.yaml: tokens[0].sha256: must be 64 hexadecimal digits"),
        (
            "tokens:\n  - {name: a, env: NOT_SET_ANYWHERE}",
            "tokens.yaml: tokens[0].env: environment variable NOT_SET_ANYWHERE is not set"
        ),
        (
            "tokens:\n  - {name: a, env: X, colour: red}",
            "tokens.yaml: tokens[0].colour: unknown key (known keys: name, sha256, env, models, admin)"
        ),
        ("users: []", "tokens.yaml: users: unknown key (known keys: tokens)"),
        ("tokens:\n  - {env: X}", "tokens.yaml: tokens[0].name: is required"),
        (String(repeating: "[", count: 5000), "tokens.yaml: nests deeper than 100 levels (line 1)"),
    ])
    func badTokenFilesNameTheKey(yaml: String, message: String) {
        do {
            _ = try AccessTokens(yaml: yaml, file: "tokens.yaml", environment: ["X": "x"])
            Issue.record("accepted \(yaml)")
        } catch {
            #expect("\(error)" == message)
        }
    }
}
