import Foundation

/// What `wharf build` recorded in the root's `asset-manifest.json`: the build id (a surrogate tag
/// of every static response) and the SHA-256 of each file it wrote, so the catalog can take a
/// file's ETag from it instead of reading and hashing the file.
///
/// A recorded hash is trusted only while the file is as the build left it: the same size, and an
/// mtime older than the manifest's (the build writes the manifest last; `rsync -a` and `cp -p`
/// keep mtimes). A file edited after the build, or copied in later, is hashed as usual.
///
/// The format is WharfBuild's `Manifest` (version 2); this reads only the fields the server uses,
/// so the server does not link the build's modules (libvips encoders, the MP4 packager).
public struct BuildManifest: Sendable {
    public let buildID: String
    /// The manifest file's identity when read, to re-read it only when it changes.
    let identity: FileIdentity
    /// By URL path (`/css/app.3f9a2c1b.css`, `/css/app.3f9a2c1b.css.br`): size and ETag hash.
    let files: [String: (size: Int, hash: String)]

    public static let fileName = "asset-manifest.json"

    /// The content hash recorded for the file at `urlPath` with this identity, if trusted.
    func hash(for urlPath: String, identity file: FileIdentity) -> String? {
        guard let known = files[urlPath], known.size == file.size, file.mtimeNanos < identity.mtimeNanos else { return nil }
        return known.hash
    }

    private struct Document: Decodable {
        struct Encoding: Decodable { let size: Int; let sha256: String }
        struct Variant: Decodable { let path: String; let size: Int; let sha256: String }
        struct Asset: Decodable {
            let path: String
            let size: Int
            let sha256: String
            let encodings: [String: Encoding]
            let variants: [Variant]?
        }
        let build_id: String
        let assets: [String: Asset]
        let version: Int
    }

    /// Reads the manifest at `path` (nil when missing, unreadable or not a version-2 manifest).
    static func load(path: String, identity: FileIdentity, maxBytes: Int = 64 << 20) -> BuildManifest? {
        guard identity.isRegular, identity.size <= maxBytes, let data = FileManager.default.contents(atPath: path),
              let doc = try? JSONDecoder().decode(Document.self, from: data), doc.version == 2 else { return nil }
        var files: [String: (size: Int, hash: String)] = [:]
        func add(_ path: String, _ size: Int, _ sha256: String) {
            guard sha256.utf8.count == 64 else { return }
            // The catalog's ETags are the first 128 bits of the SHA-256 (see ContentHash).
            files["/" + path] = (size, String(sha256.prefix(32)))
        }
        for asset in doc.assets.values {
            add(asset.path, asset.size, asset.sha256)
            for (coding, e) in asset.encodings {
                add(asset.path + (coding == "br" ? ".br" : ".gz"), e.size, e.sha256)
            }
            for v in asset.variants ?? [] { add(v.path, v.size, v.sha256) }
        }
        return BuildManifest(buildID: doc.build_id, identity: identity, files: files)
    }
}
