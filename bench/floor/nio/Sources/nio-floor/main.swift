import NIOCore
import NIOPosix

// The floor of a SwiftNIO HTTP/1.1 server: one handler, one constant response per request
// (as long as Wharf's answer for bench/static.sh's small.css as gzip: a 572-byte header block and
// a 546-byte body). Usage: nio-floor PORT
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
let port = Int(CommandLine.arguments[1])!
var s = "HTTP/1.1 200 OK\r\nServer: c\r\nContent-Type: text/css; charset=utf-8\r\nContent-Length: 546\r\nCache-Control: public, max-age=3600, stale-while-revalidate=60\r\nCDN-Cache-Control: public, max-age=86400\r\nSurrogate-Control: max-age=86400\r\nETag: \"abcdefabcdefabcdefabcdef-gz\"\r\nLast-Modified: Mon, 30 Nov 2026 10:00:00 GMT\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\nAccept-Ranges: bytes\r\nX-Pad: " + String(repeating: "p", count: 144) + "\r\nDate: Mon, 07 Dec 2026 05:00:00 GMT\r\n\r\n"
s += String(repeating: "x", count: 546)
let resp = ByteBuffer(string: s)
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let ch = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(Floor(resp)) } }
    .bind(host: "127.0.0.1", port: port).wait()
try ch.closeFuture.wait()
