import CGLES
import GLES
import XCTest

final class TimerAndOffscreenTests: XCTestCase {
    static let busyShader = """
    #version 310 es
    layout(local_size_x = 64) in;
    layout(std430, binding = 0) buffer Data { float data[]; };
    void main() {
        uint i = gl_GlobalInvocationID.x;
        float x = data[i];
        for (int k = 0; k < 200; k++) { x = x * 0.999 + 0.5; }
        data[i] = x;
    }
    """

    func testEveryTimerModeReturnsPositiveDurationsPerLabel() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "busy", glsl: Self.busyShader)
        let buffer = try context.makeBuffer(byteCount: 64 * 256 * 4, label: "busy_data")
        try buffer.zero()
        var modes: [GPUTimer.Mode] = [.cpuFinish]
        if context.limits.timerQueries.timestampBits > 0 { modes.append(.gpuTimestamps) }
        if context.limits.timerQueries.elapsedBits > 0 { modes.append(.gpuElapsed) }
        for mode in modes {
            let timer = try GPUTimer(context: context, mode: mode)
            for _ in 0..<3 {
                try timer.measure("busy") {
                    try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer)], groups: (256, 1, 1))
                    context.barrier()
                }
            }
            try timer.measure("other") { try context.flush() }
            let resolved = try timer.resolve()
            XCTAssertEqual(resolved.map(\.label), ["busy", "busy", "busy", "other"], "\(mode)")
            XCTAssertEqual(timer.totals["busy"]?.count, 3, "\(mode)")
            XCTAssertGreaterThan(timer.totals["busy"]?.seconds ?? 0, 0, "\(mode)")
            XCTAssertLessThan(timer.totals["busy"]?.seconds ?? 100, 60, "\(mode)")
        }
    }

    /// The profile's timeline charges each interval to the mark that ends it, keeps labels in
    /// first-seen order, and goes on from the last mark after a resolve.
    func testTimelineChargesIntervalsToTheMarkThatEndsThem() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "busy", glsl: Self.busyShader)
        let buffer = try context.makeBuffer(byteCount: 64 * 256 * 4, label: "timeline_data")
        try buffer.zero()
        let timeline = try GPUTimeline(context: context)
        XCTAssertThrowsError(try timeline.mark("early"), "a mark before begin() has no start") { error in
            XCTAssertEqual(error as? GLESError, .invalidArgument("GPU timeline: mark('early') before begin()."))
        }
        try timeline.begin()
        for _ in 0 ..< 2 {
            try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer)], groups: (256, 1, 1))
            context.barrier()
            try timeline.mark("busy")
            try timeline.mark("idle")
        }
        let total = try timeline.resolve()
        XCTAssertEqual(timeline.order, ["busy", "idle"])
        XCTAssertEqual(timeline.totals["busy"]?.count, 2)
        XCTAssertEqual(timeline.totals["idle"]?.count, 2)
        let busy = timeline.totals["busy"]?.seconds ?? -1, idle = timeline.totals["idle"]?.seconds ?? -1
        XCTAssertGreaterThan(busy, 0)
        XCTAssertGreaterThanOrEqual(idle, 0)
        XCTAssertEqual(total, busy + idle, accuracy: 1e-9, "the intervals tile the run from begin() to the last mark")
        try timeline.mark("after")
        try timeline.resolve()
        XCTAssertEqual(timeline.totals["after"]?.count, 1)
    }

    func testUnbalancedScopesThrow() throws {
        let timer = try GPUTimer(context: try SharedContext.get(), mode: .cpuFinish)
        XCTAssertThrowsError(try timer.end()) { error in
            XCTAssertEqual(error as? GLESError, .invalidArgument("GPU timer: end() without a matching begin()."))
        }
    }

    func testOffscreenClearReadsBackTheClearColour() throws {
        let context = try SharedContext.get()
        let target = try context.makeOffscreenTarget(width: 7, height: 5)
        try target.clear(red: 1, green: 0.5, blue: 0, alpha: 1)
        let pixels = try target.readPixels()
        XCTAssertEqual(pixels.count, 7 * 5 * 4)
        for pixel in stride(from: 0, to: pixels.count, by: 4) {
            XCTAssertEqual(pixels[pixel], 255)
            XCTAssertEqual(Int(pixels[pixel + 1]), 128, accuracy: 1)
            XCTAssertEqual(pixels[pixel + 2], 0)
            XCTAssertEqual(pixels[pixel + 3], 255)
        }
    }

    func testDrawnTriangleIsReadTopDown() throws {
        let context = try SharedContext.get()
        // A full-width rectangle over the top half only (NDC y > 0 is the top of the image).
        let program = try context.makeRenderProgram(name: "top_half", vertex: """
        #version 300 es
        void main() {
            vec2 corners[6] = vec2[6](vec2(-1, 0), vec2(1, 0), vec2(-1, 1), vec2(1, 0), vec2(1, 1), vec2(-1, 1));
            gl_Position = vec4(corners[gl_VertexID], 0.0, 1.0);
        }
        """, fragment: """
        #version 300 es
        precision mediump float;
        out vec4 colour;
        void main() { colour = vec4(0.0, 0.0, 1.0, 1.0); }
        """)
        let target = try context.makeOffscreenTarget(width: 4, height: 4)
        try target.clear(red: 0, green: 0, blue: 0, alpha: 1)
        try program.use()
        try target.bind()
        glDrawArrays(GLenum(GL_TRIANGLES), 0, 6)
        let pixels = try target.readPixels()
        XCTAssertEqual(Array(pixels[0..<4]), [0, 0, 255, 255], "first row is the top: drawn")
        XCTAssertEqual(Array(pixels[(15 * 4)..<(16 * 4)]), [0, 0, 0, 255], "last row is the bottom: clear colour")
    }

    func testRenderProgramErrorsNameTheStage() throws {
        let context = try SharedContext.get()
        XCTAssertThrowsError(try context.makeRenderProgram(name: "bad_fragment", vertex: """
        #version 300 es
        void main() { gl_Position = vec4(0.0); }
        """, fragment: """
        #version 300 es
        precision mediump float;
        out vec4 colour;
        void main() { colour = nope; }
        """)) { error in
            guard case GLESError.compileFailed(let name, let stage, _, let excerpt) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(name, "bad_fragment")
            XCTAssertEqual(stage, "fragment")
            XCTAssertTrue(excerpt.contains(">   4 | void main() { colour = nope; }"), excerpt)
        }
    }
}
