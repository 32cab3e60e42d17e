import Crypto

/// SHA-256 digests of bearer tokens (swift-crypto): the token file stores digests, never tokens,
/// and digests of equal length compare in constant time.
enum TokenDigest {
    /// The 32-byte SHA-256 digest of `token`'s UTF-8 bytes.
    static func of(_ token: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Lower-case hexadecimal, as `sha256sum` prints it.
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// Equal-length byte strings compared without an early exit, so timing does not reveal where
    /// they differ.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
