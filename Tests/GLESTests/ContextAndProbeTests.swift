import GLES
import XCTest

final class ContextAndProbeTests: XCTestCase {
    func testContextIsES31OrNewerWithComputeLimits() throws {
        let limits = try SharedContext.get().limits
        XCTAssertTrue(limits.glesMajor > 3 || (limits.glesMajor == 3 && limits.glesMinor >= 1), limits.glVersion)
        XCTAssertTrue(limits.glVersion.hasPrefix("OpenGL ES"), limits.glVersion)
        XCTAssertFalse(limits.renderer.isEmpty)
        XCTAssertFalse(limits.eglVersion.isEmpty)
    }

    func testProbeValuesAreSane() throws {
        let limits = try SharedContext.get().limits
        // GLES 3.1 minimums (spec table 20.47 and friends).
        XCTAssertGreaterThanOrEqual(limits.maxShaderStorageBlockSize, 1 << 27)
        XCTAssertGreaterThanOrEqual(limits.maxComputeShaderStorageBlocks, 4)
        XCTAssertGreaterThanOrEqual(limits.maxShaderStorageBufferBindings, 4)
        XCTAssertGreaterThanOrEqual(limits.maxCombinedShaderStorageBlocks, 4)
        XCTAssertGreaterThanOrEqual(limits.maxComputeWorkGroupInvocations, 128)
        XCTAssertEqual(limits.maxComputeWorkGroupSize.count, 3)
        XCTAssertGreaterThanOrEqual(limits.maxComputeWorkGroupSize[0], 128)
        XCTAssertGreaterThanOrEqual(limits.maxComputeWorkGroupSize[2], 64)
        XCTAssertEqual(limits.maxComputeWorkGroupCount.count, 3)
        XCTAssertTrue(limits.maxComputeWorkGroupCount.allSatisfy { $0 >= 65535 })
        XCTAssertGreaterThanOrEqual(limits.maxComputeSharedMemorySize, 16384)
        XCTAssertGreaterThanOrEqual(limits.maxUniformBlockSize, 16384)
        XCTAssertGreaterThan(limits.shaderStorageBufferOffsetAlignment, 0)
        XCTAssertEqual(limits.shaderStorageBufferOffsetAlignment & (limits.shaderStorageBufferOffsetAlignment - 1), 0,
                       "alignment is a power of two")
        XCTAssertGreaterThan(limits.extensions.count, 10)
        if let subgroups = limits.subgroups {
            XCTAssertGreaterThan(subgroups.size, 0)
            XCTAssertTrue(subgroups.features.contains("basic"))
        } else {
            XCTAssertFalse(limits.hasExtension("GL_KHR_shader_subgroup"))
        }
        if limits.renderer.contains("llvmpipe") {
            // What this CPU machine's Mesa offers (docs/gpu-machine.md).
            XCTAssertEqual(limits.maxShaderStorageBlockSize, 128 << 20)
            XCTAssertNil(limits.subgroups)
            XCTAssertNotNil(limits.maxBufferSize)
        }
    }

    func testProbeRoundTripsThroughJSONAndTable() throws {
        let limits = try SharedContext.get().limits
        let decoded = try JSONDecoder().decode(GPULimits.self, from: Data(try limits.json().utf8))
        XCTAssertEqual(decoded, limits)
        let table = limits.report()
        XCTAssertTrue(table.contains(limits.renderer))
        XCTAssertTrue(table.contains(String(limits.maxShaderStorageBlockSize)))
        XCTAssertTrue(limits.report(includeExtensions: true).contains(limits.extensions[0]))
    }

    func testRequestedPlatformIsTheOneUsed() throws {
        let offered = GLContext.offeredPlatforms()
        XCTAssertTrue(offered.contains(.default))
        for platform in offered where platform != .default {
            let context = try GLContext.createHeadless(options: GLOptions(eglPlatform: platform))
            XCTAssertEqual(context.limits.display.platform, platform)
            XCTAssertGreaterThanOrEqual(context.limits.glesMinor + 10 * context.limits.glesMajor, 31)
        }
    }

    func testMissingPreferredDeviceIsPassedOverWithANote() throws {
        guard GLContext.offeredPlatforms().contains(.device) else { throw XCTSkip("no EGL device platform") }
        let context = try GLContext.createHeadless(options: GLOptions(eglDevice: 99, eglPlatform: .device))
        XCTAssertTrue(context.limits.display.skipped.contains { $0.contains("99") }, "\(context.limits.display.skipped)")
    }

    func testNoUsableDisplayGivesAnErrorListingEachAttempt() throws {
        // Without a window system the default display cannot initialise on Mesa; where some EGL
        // manages anyway there is no failure to look at.
        let context: GLContext
        do {
            context = try GLContext.createHeadless(options: GLOptions(eglPlatform: .default))
        } catch GLESError.noDisplay(let attempts) {
            XCTAssertTrue(attempts.contains { $0.hasPrefix("default display") }, "\(attempts)")
            XCTAssertTrue(GLESError.noDisplay(attempts: attempts).localizedDescription.contains("Hint"))
            return
        }
        throw XCTSkip("the default display works here (\(context.limits.renderer))")
    }
}
