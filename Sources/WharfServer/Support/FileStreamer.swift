import NIOCore
import NIOPosix
import WharfAssets

/// Streams a byte range of a file as buffers read on the blocking pool: the path for TLS and
/// HTTP/2, where sendfile cannot be used. One chunk is in flight at a time, so a slow client
/// holds at most one chunk of memory.
enum FileStreamer {
    static let chunkSize = 256 * 1024

    static func stream(
        _ file: OpenFile, offset: Int, length: Int, pool: NIOThreadPool, eventLoop: any EventLoop,
        write: @escaping @Sendable (ByteBuffer) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        @Sendable func step(_ done: Int) {
            if done >= length {
                promise.succeed(())
                return
            }
            let want = min(chunkSize, length - done)
            pool.runIfActive(eventLoop: eventLoop) { () throws -> ByteBuffer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(want)
                var got = 0
                while got < want {
                    let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want - got) { ptr in
                        try file.read(into: UnsafeMutableRawBufferPointer(rebasing: ptr[0..<(want - got)]), offset: offset + done + got)
                    }
                    if n == 0 { throw AssetError("\(file.path) shrank while being sent") }
                    got += n
                }
                return buffer
            }.flatMap { buffer in
                write(buffer)
            }.whenComplete { result in
                switch result {
                case .success: step(done + want)
                case .failure(let error): promise.fail(error)
                }
            }
        }
        step(0)
        return promise.futureResult
    }
}
