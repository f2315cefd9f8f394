import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

// The floor of a SwiftNIO HTTP/1.1 server: one handler, one constant response per request
// (as long as Wharf's answer for bench/static.sh's small.css as gzip: a 572-byte header block and
// a 546-byte body). Usage: nio-floor PORT [FILE]
//
// With FILE, every request is answered as a file response is: a 555-byte header block, then the
// whole FILE with sendfile (one descriptor opened at start), the socket corked from before the
// header until the file is sent (what Wharf and nginx's tcp_nopush do). The floor of a SwiftNIO
// server's file response.
final class Floor: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let response: ByteBuffer
    init(_ r: ByteBuffer) { response = r }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        var n = 0
        buf.withUnsafeReadableBytes { p in
            if p.count >= 4 { for i in 3..<p.count where p[i] == 10 && p[i-1] == 13 && p[i-2] == 10 && p[i-3] == 13 { n += 1 } }
        }
        for _ in 0..<n { context.write(wrapOutboundOut(response), promise: nil) }
        if n > 0 { context.flush() }
    }
}
final class FileFloor: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData
    static let cork = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 3)) // TCP_CORK
    let head: ByteBuffer
    let file: NIOFileHandle
    let size: Int
    var options: NIOSynchronousChannelOptions?
    init(head: ByteBuffer, file: NIOFileHandle, size: Int) { self.head = head; self.file = file; self.size = size }
    func handlerAdded(context: ChannelHandlerContext) { options = context.channel.syncOptions }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        var n = 0
        buf.withUnsafeReadableBytes { p in
            if p.count >= 4 { for i in 3..<p.count where p[i] == 10 && p[i-1] == 13 && p[i-2] == 10 && p[i-3] == 13 { n += 1 } }
        }
        guard n > 0 else { return }
        try? options?.setOption(Self.cork, value: 1)
        let done = context.eventLoop.makePromise(of: Void.self)
        for i in 0..<n {
            context.write(wrapOutboundOut(.byteBuffer(head)), promise: nil)
            let region = FileRegion(fileHandle: file, readerIndex: 0, endIndex: size)
            context.write(wrapOutboundOut(.fileRegion(region)), promise: i == n - 1 ? done : nil)
        }
        context.flush()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        done.futureResult.whenComplete { _ in try? bound.value.options?.setOption(Self.cork, value: 0) }
    }
}

let port = Int(CommandLine.arguments[1])!
var s = "HTTP/1.1 200 OK\r\nServer: c\r\nContent-Type: text/css; charset=utf-8\r\nContent-Length: 546\r\nCache-Control: public, max-age=3600, stale-while-revalidate=60\r\nCDN-Cache-Control: public, max-age=86400\r\nSurrogate-Control: max-age=86400\r\nETag: \"abcdefabcdefabcdefabcdef-gz\"\r\nLast-Modified: Mon, 30 Nov 2026 10:00:00 GMT\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\nAccept-Ranges: bytes\r\nX-Pad: " + String(repeating: "p", count: 144) + "\r\nDate: Mon, 07 Dec 2026 05:00:00 GMT\r\n\r\n"
s += String(repeating: "x", count: 546)
let resp = ByteBuffer(string: s)
let fileResponder: (@Sendable () -> any ChannelHandler)?
if CommandLine.arguments.count > 2 {
    let path = CommandLine.arguments[2]
    let handle = try NIOFileHandle(_deprecatedPath: path)
    let size = try handle.withUnsafeFileDescriptor { fd in Int(lseek(fd, 0, SEEK_END)) }
    var h = "HTTP/1.1 200 OK\r\nServer: c\r\nContent-Type: text/javascript; charset=utf-8\r\nContent-Length: \(size)\r\nCache-Control: public, max-age=3600, stale-while-revalidate=60\r\nCDN-Cache-Control: public, max-age=86400\r\nSurrogate-Control: max-age=86400\r\nETag: \"abcdefabcdefabcdefabcdef\"\r\nLast-Modified: Mon, 30 Nov 2026 10:00:00 GMT\r\nVary: Accept-Encoding\r\nAccept-Ranges: bytes\r\nDate: Mon, 07 Dec 2026 05:00:00 GMT\r\nX-Pad: "
    h += String(repeating: "p", count: 555 - h.utf8.count - 4) + "\r\n\r\n"
    let head = ByteBuffer(string: h)
    fileResponder = { FileFloor(head: head, file: handle, size: size) }
} else {
    fileResponder = nil
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let ch = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(fileResponder?() ?? Floor(resp)) } }
    .bind(host: "127.0.0.1", port: port).wait()
try ch.closeFuture.wait()
