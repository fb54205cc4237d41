import Foundation
import MuxgateWire
package import NIOSSL

extension ConfigLoader {
    /// `http.tls` with its paths expanded and made absolute (relative to the config file), both
    /// files read and parsed: a bad certificate or key fails the load, naming the file.
    package func resolve(_ tls: HTTPFrontConfig.TLSFiles, in directory: String) throws(ConfigIssue)
        -> HTTPFrontConfig.TLSFiles
    {
        var resolved = tls
        let cert = try expand(tls.cert, ["http", "tls", "cert"], secret: false)
        let key = try expand(tls.key, ["http", "tls", "key"], secret: false)
        resolved.cert = cert.hasPrefix("/") ? cert : directory + "/" + cert
        resolved.key = key.hasPrefix("/") ? key : directory + "/" + key
        let configuration = try resolved.serverConfiguration()
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["http", "tls"],
                message: "\(resolved.key) and \(resolved.cert) do not make a TLS identity (\(error))"
            )
        }
        return resolved
    }
}

extension HTTPFrontConfig.TLSFiles {
    /// The listener's TLS configuration (TLS 1.2 and newer, NIOSSL's defaults otherwise).
    package func serverConfiguration() throws(ConfigIssue) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(cert)
        } catch {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["http", "tls", "cert"],
                message: "\(cert) is not a readable PEM certificate chain (\(error))"
            )
        }
        guard !chain.isEmpty else {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["http", "tls", "cert"],
                message: "\(cert) holds no certificate"
            )
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConfigIssue(
                code: .invalidValue,
                path: ["http", "tls", "key"],
                message: "\(key) is not a readable PEM private key (\(error))"
            )
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
