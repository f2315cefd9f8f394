import Testing
@testable import WharfImage

@Suite struct ResizePlanTests {
    func plan(_ w: Int, _ h: Int, _ query: String, upscale: Bool = false) throws -> ResizePlan {
        let q = try #require(try TransformQuery.parse(query))
        let spec = try TransformSpec.resolve(q, options: ImageOptions())
        return try ResizePlan.make(sourceWidth: w, sourceHeight: h, spec: spec, allowUpscale: upscale, maxDimension: 8192)
    }

    @Test func oneDimensionKeepsTheAspect() throws {
        #expect(try plan(640, 427, "w=200") == ResizePlan(scaledWidth: 200, scaledHeight: 133))
        #expect(try plan(640, 427, "h=100") == ResizePlan(scaledWidth: 150, scaledHeight: 100))
        #expect(try plan(640, 427, "w=100&dpr=2") == ResizePlan(scaledWidth: 200, scaledHeight: 133))
        #expect(try plan(640, 427, "fm=webp") == ResizePlan(scaledWidth: 640, scaledHeight: 427))
        #expect(try plan(10000, 1, "w=10") == ResizePlan(scaledWidth: 10, scaledHeight: 1))
    }

    @Test func everyFitOnABox() throws {
        // 640×427 into 200×200.
        #expect(try plan(640, 427, "w=200&h=200&fit=inside") == ResizePlan(scaledWidth: 200, scaledHeight: 133))
        #expect(try plan(640, 427, "w=200&h=200&fit=outside") == ResizePlan(scaledWidth: 300, scaledHeight: 200))
        #expect(try plan(640, 427, "w=200&h=200&fit=fill") == ResizePlan(scaledWidth: 200, scaledHeight: 200))
        #expect(try plan(640, 427, "w=200&h=200&fit=contain")
            == ResizePlan(scaledWidth: 200, scaledHeight: 133, finish: .pad(x: 0, y: 33, width: 200, height: 200)))
        #expect(try plan(640, 427, "w=200&h=200&fit=cover")
            == ResizePlan(scaledWidth: 300, scaledHeight: 200, finish: .crop(x: 50, y: 0, width: 200, height: 200)))
        #expect(try plan(640, 427, "w=200&h=200")
            == ResizePlan(scaledWidth: 300, scaledHeight: 200, finish: .crop(x: 50, y: 0, width: 200, height: 200)))
    }

    @Test func gravityMovesTheCrop() throws {
        let cases: [(String, Int, Int)] = [("west", 0, 0), ("east", 100, 0), ("north", 50, 0), ("southeast", 100, 0)]
        for (g, x, y) in cases {
            #expect(try plan(640, 427, "w=200&h=200&g=\(g)").finish == .crop(x: x, y: y, width: 200, height: 200), "\(g)")
        }
        #expect(try plan(427, 640, "w=200&h=200&g=south").finish == .crop(x: 0, y: 100, width: 200, height: 200))
        #expect(try plan(640, 427, "w=200&h=200&g=attention").finish == .smartCrop(width: 200, height: 200, gravity: .attention))
        #expect(try plan(640, 427, "w=200&h=200&g=entropy").finish == .smartCrop(width: 200, height: 200, gravity: .entropy))
    }

    @Test func noUpscalingByDefault() throws {
        #expect(try plan(640, 427, "w=2000") == ResizePlan(scaledWidth: 640, scaledHeight: 427))
        #expect(try plan(640, 427, "w=2000", upscale: true) == ResizePlan(scaledWidth: 2000, scaledHeight: 1334))
        #expect(try plan(640, 427, "w=1000&h=1000&fit=fill") == ResizePlan(scaledWidth: 640, scaledHeight: 427))
        #expect(try plan(640, 427, "w=1000&h=300&fit=cover")
            == ResizePlan(scaledWidth: 640, scaledHeight: 427, finish: .crop(x: 0, y: 63, width: 640, height: 300)))
        #expect(try plan(640, 427, "w=1000&h=1000&fit=contain")
            == ResizePlan(scaledWidth: 640, scaledHeight: 427, finish: .pad(x: 180, y: 286, width: 1000, height: 1000)))
    }

    @Test func outputOverTheLimitIs400() throws {
        #expect(throws: ImageError.self) { try plan(100, 10000, "w=8000&h=10&fit=outside", upscale: true) }
        let e = #expect(throws: ImageError.self) { try plan(100, 10000, "w=100", upscale: true) }
        #expect(e?.status == 400)
        // A panorama cropped by cover: the wide intermediate is fine, the output is 100×400.
        #expect(try plan(20000, 500, "w=100&h=400&fit=cover").outputWidth == 100)
    }

    @Test func aConversionWithoutSizeShrinksToTheLimit() throws {
        #expect(try plan(10000, 3000, "fm=webp") == ResizePlan(scaledWidth: 8192, scaledHeight: 2458))
        #expect(try plan(3000, 10000, "fm=webp") == ResizePlan(scaledWidth: 2458, scaledHeight: 8192))
        #expect(try plan(640, 427, "fm=webp") == ResizePlan(scaledWidth: 640, scaledHeight: 427))
    }
}
