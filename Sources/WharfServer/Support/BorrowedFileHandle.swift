import NIOCore
import WharfAssets

/// A `NIOFileHandle` over an ``OpenFile``'s descriptor without `dup`, for one response's
/// `FileRegion`: it holds the file open for as long as the response needs it and hands the
/// descriptor back instead of closing it.
///
/// One per response, so no two threads share a `NIOFileHandle` (NIO refuses concurrent access
/// to one with `EBUSY`); `sendfile` is given explicit offsets, so the descriptor's shared file
/// position is never used. Saves the `dup` and `close` per file response.
final class BorrowedFileHandle {
    /// Keeps the descriptor valid: `OpenFile` closes it only when released.
    private let file: OpenFile
    let handle: NIOFileHandle

    init(_ file: OpenFile) {
        self.file = file
        self.handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.descriptor)
    }

    deinit {
        // The descriptor belongs to `file`: give it back rather than close it.
        _ = try? handle.takeDescriptorOwnership()
    }
}
