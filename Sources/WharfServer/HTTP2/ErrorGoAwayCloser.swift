import NIOCore

/// Closes an HTTP/2 connection once NIOHTTP2 has sent a GOAWAY carrying an error code.
///
/// NIOHTTP2 answers a connection error (a flood over one of ``ServerConfiguration/HTTP2Limits``,
/// a bad frame, a broken header block) with GOAWAY and stops parsing, but leaves closing the
/// socket to the application; a flooding client would otherwise keep its connection until the
/// idle timer's graceful close. It also reports stream errors through the same `errorCaught`,
/// so the error alone cannot tell the two apart: the GOAWAY on the wire can. This handler sits
/// between the socket (or TLS) and `NIOHTTP2Handler` and follows the outbound frame headers.
/// A graceful GOAWAY (NO_ERROR, sent on shutdown or idle) is left alone.
final class ErrorGoAwayCloser: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Frame header (9 bytes) and, for a GOAWAY, the first 8 payload bytes (last stream id and
    /// error code) are collected here; other payload bytes are only counted.
    private var header: [UInt8] = []
    private var skip = 0
    private var inGoAway = false
    private var goAwayPayload: [UInt8] = []
    private var closing = false
    /// Seconds a client that does not read gets before the socket is closed under the GOAWAY.
    private let lingerLimit: TimeAmount

    init(lingerLimit: TimeAmount = .seconds(1)) {
        self.lingerLimit = lingerLimit
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var sawErrorGoAway = false
        switch unwrapOutboundIn(data) {
        case .byteBuffer(let buffer):
            buffer.withUnsafeReadableBytes { sawErrorGoAway = scan($0) }
        case .fileRegion(let region):
            // NIOHTTP2 only passes file regions as DATA payloads.
            skip = max(0, skip - region.readableBytes)
        }
        guard sawErrorGoAway, !closing else {
            context.write(data, promise: promise)
            return
        }
        closing = true
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        context.write(data, promise: written)
        context.flush()
        let channel = context.channel
        let cutoff = context.eventLoop.scheduleTask(in: lingerLimit) { channel.close(promise: nil) }
        written.futureResult.whenComplete { _ in
            cutoff.cancel()
            channel.close(promise: nil)
        }
    }

    /// Follows frame boundaries through `bytes`; true when a GOAWAY with a non-zero error code ended in it.
    private func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var found = false
        var i = 0
        while i < bytes.count {
            if inGoAway {
                let take = min(8 - goAwayPayload.count, bytes.count - i, skip)
                goAwayPayload.append(contentsOf: bytes[i..<(i + take)])
                i += take
                skip -= take
                if goAwayPayload.count == 8 || skip == 0 {
                    inGoAway = false
                    if goAwayPayload.count == 8, goAwayPayload[4..<8].contains(where: { $0 != 0 }) { found = true }
                }
                continue
            }
            if skip > 0 {
                let take = min(skip, bytes.count - i)
                i += take
                skip -= take
                continue
            }
            let take = min(9 - header.count, bytes.count - i)
            header.append(contentsOf: bytes[i..<(i + take)])
            i += take
            if header.count == 9 {
                skip = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
                inGoAway = header[3] == 0x7 && skip >= 8
                goAwayPayload.removeAll(keepingCapacity: true)
                header.removeAll(keepingCapacity: true)
            }
        }
        return found
    }
}
