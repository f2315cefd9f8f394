import ArgumentParser
import Foundation
import WharfHTTP
import WharfImage
import WharfServer

/// `wharf sign-url`: appends `s=` to a transform URL, as deploy tooling and templates need.
struct SignURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-url",
        abstract: "Sign an image transform URL with the first of images.signing_keys.",
        discussion: """
            The signature covers the decoded path and the transform parameters, normalised (short \
            names, sorted, values in their plain spelling), so the URL may use any aliases and order. \
            Prints the URL with s= appended. Keys come from --key, else WHARF_IMAGES_SIGNING_KEYS, \
            else --config / ./wharf.toml.
            """
    )

    @Option(help: "Path of a wharf.toml file (for images.signing_keys, images.signature_bytes and presets).")
    var config: String?

    @Option(help: "Signing key to use instead of the configured ones.")
    var key: String?

    @Argument(help: "The URL or path, e.g. /img/photo.jpg?w=640&fm=auto or https://cdn.example.com/img/photo.jpg?w=640")
    var url: String

    func run() throws {
        var path = config
        if path == nil, FileManager.default.fileExists(atPath: "wharf.toml") { path = "wharf.toml" }
        let c: ServerConfiguration
        do {
            c = try ConfigLoader.load(configPath: path)
        } catch {
            throw ValidationError("\(error)")
        }
        let keys = key.map { [Array($0.utf8)] } ?? c.images.options.signingKeys
        guard let first = keys.first else {
            throw ValidationError("no signing key: pass --key or set images.signing_keys")
        }
        // Keep scheme and authority as given; sign what follows.
        var prefix = ""
        var target = url
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            prefix = String(url[..<slash])
            target = slash == rest.endIndex ? "/" : String(url[slash...])
        }
        guard target.hasBytePrefix("/") else { throw ValidationError("expected a URL or a path starting with /") }
        let parsed: RequestTarget
        do {
            parsed = try RequestTarget.parse(target)
        } catch {
            throw ValidationError("bad path: \(error.reason)")
        }
        let spec: TransformSpec
        do throws(ImageError) {
            let parsedQuery = try TransformQuery.parse(parsed.query)
            // With s= the server reads the query as a transform, so other parameters would be a 400.
            if let q = parsed.query, !q.isEmpty, parsedQuery == nil {
                throw ImageError(status: 400, message: "query: \(q) has no transform parameters; the server would reject it once signed")
            }
            let query = parsedQuery ?? TransformQuery()
            guard query.signature == nil else { throw ImageError(status: 400, message: "s: the URL is already signed") }
            spec = try TransformSpec.resolve(query, options: c.images.options)
        } catch {
            throw ValidationError("\(error.message)")
        }
        let signer = URLSigner(keys: [first], signatureBytes: c.images.options.signatureBytes)
        let s = signer.sign(spec.signingPayload(path: parsed.path))
        let separator = parsed.query.map { $0.isEmpty ? "" : "&" } ?? "?"
        print(prefix + target + separator + "s=" + s)
    }
}
