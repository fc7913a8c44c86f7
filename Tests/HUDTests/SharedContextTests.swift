import GLES
import XCTest
@testable import HUD

/// The HUD draws in the inference context: compute work before and after a frame must give the
/// same results as without it, and the frame must not depend on what compute left bound.
final class SharedContextTests: XCTestCase {
    func testComputeAndHUDFramesInterleave() throws {
        let context = try HUDTestSupport.context()
        let renderer = try HUDTestSupport.renderer()
        let program = try context.makeProgram(name: "hud_interleave_square", glsl: """
        #version 310 es
        layout(local_size_x = 64) in;
        layout(std430, binding = 0) buffer Data { float values[]; };
        void main() { uint i = gl_GlobalInvocationID.x; values[i] = values[i] * values[i] + 1.0; }
        """)
        let inputs = (0..<256).map { Float($0) / 16 }
        let buffer = try context.makeBuffer(array: inputs, label: "hud_interleave")
        let size = FrameSize(width: 128, height: 72)
        let state = HUDState(events: try HUDTestSupport.events("run.jsonl"), upTo: 10)
        let alone = try renderer.render(state, time: 10, size: size)

        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer)], groups: (4, 1, 1))
        let between = try renderer.render(state, time: 10, size: size)
        context.barrier()
        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer)], groups: (4, 1, 1))
        context.barrier()

        XCTAssertEqual(between, alone, "a frame drawn between dispatches is the frame drawn alone")
        let expected = inputs.map { x -> Float in let once = x * x + 1; return once * once + 1 }
        XCTAssertEqual(try buffer.readFloats(), expected)
    }
}
