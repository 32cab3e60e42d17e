import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads PEM certificates and keys from files, turning every failure into a `TLSFileError` that
/// says which file and what is wrong with it.
enum PEMFile {
    /// Every certificate in the file, in order; at least one.
    static func certificates(at path: String, role: TLSFileError.Role) throws(TLSFileError) -> [NIOSSLCertificate] {
        let bytes = try contents(of: path, role: role)
        guard containsPEMBlock(bytes, labelSuffix: "CERTIFICATE") else {
            throw TLSFileError(role: role, path: path, reason: "no PEM certificate found")
        }
        do {
            return try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw TLSFileError(role: role, path: path, reason: "not a valid PEM certificate (\(error))")
        }
    }

    /// The one private key in the file (PKCS#1, PKCS#8 or SEC1, unencrypted).
    static func privateKey(at path: String) throws(TLSFileError) -> NIOSSLPrivateKey {
        let bytes = try contents(of: path, role: .privateKey)
        guard containsPEMBlock(bytes, labelSuffix: "PRIVATE KEY") else {
            throw TLSFileError(role: .privateKey, path: path, reason: "no PEM private key found")
        }
        if containsPEMBlock(bytes, labelSuffix: "ENCRYPTED PRIVATE KEY") || isLegacyEncrypted(bytes) {
            throw TLSFileError(role: .privateKey, path: path, reason: "the private key is encrypted; give an unencrypted key")
        }
        do {
            // A passphrase callback that supplies nothing: BoringSSL would otherwise prompt on the
            // terminal for a key it cannot read.
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem) { (_: NIOSSLPassphraseSetter<[UInt8]>) in }
        } catch {
            throw TLSFileError(role: .privateKey, path: path, reason: "not a valid PEM private key (\(error))")
        }
    }

    /// Whether a `-----BEGIN ...<labelSuffix>-----` line is present.
    private static func containsPEMBlock(_ bytes: [UInt8], labelSuffix: String) -> Bool {
        String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).contains { line in
            var line = line
            while line.last?.isWhitespace == true { line = line.dropLast() }
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") else { return false }
            return line.dropFirst(11).dropLast(5).hasSuffix(labelSuffix)
        }
    }

    /// An OpenSSL "traditional" key encrypted in place (`Proc-Type: 4,ENCRYPTED` header).
    private static func isLegacyEncrypted(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).contains {
            $0.hasPrefix("Proc-Type: 4,ENCRYPTED")
        }
    }

    /// The file's bytes; the error carries the system's reason (missing, unreadable, a directory).
    private static func contents(of path: String, role: TLSFileError.Role) throws(TLSFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TLSFileError(role: role, path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TLSFileError(role: role, path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            // Certificates and keys are small; a huge file is a wrong path, not a bundle.
            if bytes.count > 16 * 1024 * 1024 {
                throw TLSFileError(role: role, path: path, reason: "larger than 16 MiB; not a PEM file")
            }
        }
        guard !bytes.isEmpty else { throw TLSFileError(role: role, path: path, reason: "the file is empty") }
        return bytes
    }
}
