import Foundation
import CGLES

/// A storage buffer range bound to `layout(binding = index) buffer …` for one dispatch.
public struct StorageBinding {
    public var index: Int
    public var buffer: GPUBuffer
    public var offset: Int
    /// nil: from `offset` to the end of the buffer.
    public var size: Int?

    public init(index: Int, buffer: GPUBuffer, offset: Int = 0, size: Int? = nil) {
        self.index = index
        self.buffer = buffer
        self.offset = offset
        self.size = size
    }

    var resolvedSize: Int { size ?? (buffer.byteCount - offset) }
}

/// A uniform block for `layout(std140, binding = index) uniform …`: bytes the caller packed by
/// std140 rules, or a range of a buffer (e.g. parameters a shader wrote).
public struct UniformBinding {
    enum Source {
        case bytes([UInt8])
        case buffer(GPUBuffer, offset: Int, size: Int?)
    }

    public var index: Int
    let source: Source

    public init(index: Int, bytes: [UInt8]) {
        self.index = index
        self.source = .bytes(bytes)
    }

    public init(index: Int, buffer: GPUBuffer, offset: Int = 0, size: Int? = nil) {
        self.index = index
        self.source = .buffer(buffer, offset: offset, size: size)
    }
}

/// Host-written uniform blocks (a few dozen bytes a dispatch) go to the GPU one of two ways:
///
/// - `.orphan`: a ring of small buffers, each re-specified with glBufferData on use, so the
///   driver never waits for a dispatch still reading the previous contents (it hands out fresh
///   storage). Safe everywhere; one allocation a dispatch.
/// - `.subdata`: one large buffer cut into slots at the uniform offset alignment, written with
///   glBufferSubData and bound with glBindBufferRange. With thousands of slots a slot comes
///   round again only after many steps, and small glBufferSubData calls are copied into the
///   command stream by the drivers we know, so neither side waits.
///
/// - `.mapped`: the `.subdata` slots, written through glMapBufferRange with the unsynchronized
///   and invalidate-range bits, so the driver neither waits nor copies (the slot comes round
///   only after thousands of dispatches, long after the GPU has read it).
/// - `.cached`: the `.subdata` slots used as a content-addressed cache: a block whose bytes were
///   uploaded before binds its old slot again with no upload. Most decode launches repeat their
///   parameters every token (only position-dependent ones change), so most uploads vanish.
///
/// `GLContext.uniformUpload` picks one; the default is `.cached`, or the environment variable
/// GPTOSS_GL_UNIFORMS=orphan|subdata|mapped|cached, so they can be compared on a device
/// (`bench-kernels`, `bench --profile`). On the H200 a launch queued behind others cost the
/// GPU 12.9 µs with `.subdata` and 10.6 µs with `.cached` (2.6 µs with neither an upload nor a
/// barrier): an upload into a buffer the GPU may be reading makes the driver wait for idle.
public enum UniformUploadMode: String, CaseIterable, Sendable {
    case orphan, subdata, mapped, cached

    /// GPTOSS_GL_UNIFORMS when set to a mode's name, else `.cached`.
    public static var fromEnvironment: UniformUploadMode {
        ProcessInfo.processInfo.environment["GPTOSS_GL_UNIFORMS"].flatMap(UniformUploadMode.init(rawValue:)) ?? .cached
    }
}

final class UniformRing {
    typealias Mode = UniformUploadMode

    let mode: Mode
    private var names: [GLuint]
    private var next = 0
    private let slotBytes: Int
    private let slotCount: Int
    /// `.cached`: the slot holding each uploaded block, and the block each slot holds.
    private var slotOfBlock: [[UInt8]: Int] = [:]
    private var blockInSlot: [[UInt8]?] = []

    init(alignment: Int, mode: Mode) {
        self.mode = mode
        switch mode {
        case .orphan:
            slotBytes = 0
            slotCount = 64
            names = [GLuint](repeating: 0, count: slotCount)
            glGenBuffers(GLsizei(slotCount), &names)
        case .subdata, .mapped, .cached:
            // Slots big enough for any params block (256 bytes) at the device's alignment.
            let align = max(16, alignment)
            slotBytes = (256 + align - 1) / align * align
            slotCount = 4096
            names = [0]
            glGenBuffers(1, &names)
            glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            glBufferData(gl(GL_UNIFORM_BUFFER), GLsizeiptr(slotBytes * slotCount), nil, gl(GL_DYNAMIC_DRAW))
            if mode == .cached { blockInSlot = Array(repeating: nil, count: slotCount) }
        }
    }

    deinit {
        glDeleteBuffers(GLsizei(names.count), &names)
    }

    func bind(_ bytes: [UInt8], at index: Int) {
        // std140 blocks are multiples of 16 bytes; a short host array must not make the bound
        // range smaller than the block the shader declares.
        let size = max(16, (bytes.count + 15) / 16 * 16)
        switch mode {
        case .orphan:
            let name = names[next]
            next = (next + 1) % slotCount
            glBindBuffer(gl(GL_UNIFORM_BUFFER), name)
            glBufferData(gl(GL_UNIFORM_BUFFER), GLsizeiptr(size), nil, gl(GL_STREAM_DRAW))
            upload(bytes)
            glBindBufferBase(gl(GL_UNIFORM_BUFFER), GLuint(index), name)
        case .subdata, .mapped:
            precondition(size <= slotBytes, "uniform block of \(size) bytes over the ring's \(slotBytes)-byte slots")
            let offset = next * slotBytes
            next = (next + 1) % slotCount
            glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            if mode == .mapped { write(bytes, at: offset) } else { upload(bytes, at: offset) }
            glBindBufferRange(gl(GL_UNIFORM_BUFFER), GLuint(index), names[0], GLintptr(offset), GLsizeiptr(size))
        case .cached:
            precondition(size <= slotBytes, "uniform block of \(size) bytes over the ring's \(slotBytes)-byte slots")
            let slot: Int
            if let known = slotOfBlock[bytes] {
                slot = known
                glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            } else {
                // Round-robin replacement: the evicted block is the least recently uploaded.
                slot = next
                next = (next + 1) % slotCount
                if let evicted = blockInSlot[slot] { slotOfBlock[evicted] = nil }
                blockInSlot[slot] = bytes
                slotOfBlock[bytes] = slot
                glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
                upload(bytes, at: slot * slotBytes)
            }
            glBindBufferRange(gl(GL_UNIFORM_BUFFER), GLuint(index), names[0], GLintptr(slot * slotBytes), GLsizeiptr(size))
        }
    }

    private func write(_ bytes: [UInt8], at offset: Int) {
        guard !bytes.isEmpty else { return }
        let access = GLbitfield(GL_MAP_WRITE_BIT) | GLbitfield(GL_MAP_INVALIDATE_RANGE_BIT) | GLbitfield(GL_MAP_UNSYNCHRONIZED_BIT)
        guard let mapped = glMapBufferRange(gl(GL_UNIFORM_BUFFER), GLintptr(offset), GLsizeiptr(bytes.count), access) else {
            upload(bytes, at: offset)
            return
        }
        bytes.withUnsafeBytes { raw in mapped.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        glUnmapBuffer(gl(GL_UNIFORM_BUFFER))
    }

    private func upload(_ bytes: [UInt8], at offset: Int = 0) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            glBufferSubData(gl(GL_UNIFORM_BUFFER), GLintptr(offset), GLsizeiptr(raw.count), raw.baseAddress)
        }
    }
}

extension GLContext {
    /// Binds the buffers and runs `groups` workgroups of `program`. Every binding and the group
    /// counts are checked against the probed limits first, so nothing over a limit reaches the
    /// driver (which may silently compute garbage). Call `barrier()` before work that reads
    /// what this dispatch writes.
    public func dispatch(_ program: ComputeProgram, storage: [StorageBinding], uniforms: [UniformBinding] = [],
                         groups: (Int, Int, Int)) throws {
        let counts = [groups.0, groups.1, groups.2]
        for axis in 0..<3 where counts[axis] < 0 || counts[axis] > limits.maxComputeWorkGroupCount[axis] {
            throw GLESError.dispatchTooLarge(program: program.name, groups: counts, limits: limits.maxComputeWorkGroupCount)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { dispatchNanoseconds &+= DispatchTime.now().uptimeNanoseconds - start }
        try bind(program, storage: storage, uniforms: uniforms)
        if counts.contains(0) { return }
        glDispatchCompute(GLuint(counts[0]), GLuint(counts[1]), GLuint(counts[2]))
        try checkDispatch(program)
        if flushEvery > 0 {
            dispatchesSinceFlush += 1
            if dispatchesSinceFlush >= flushEvery { glFlush(); dispatchesSinceFlush = 0 }
        }
    }

    /// Like `dispatch`, with the three group counts (UInt32 x, y, z) read by the GPU from
    /// `arguments` at byte `offset` (16-byte aligned is safest; 4 is required). Counts over the
    /// device limit cannot be checked here: the writer of the arguments must clamp them.
    public func dispatchIndirect(_ program: ComputeProgram, storage: [StorageBinding], uniforms: [UniformBinding] = [],
                                 arguments: GPUBuffer, offset: Int = 0) throws {
        guard offset % 4 == 0 else {
            throw GLESError.bindingMisaligned(program: program.name, index: -1, offset: offset, alignment: 4)
        }
        try arguments.checkRange("indirect dispatch arguments", offset: offset, count: 12)
        try bind(program, storage: storage, uniforms: uniforms)
        glBindBuffer(gl(GL_DISPATCH_INDIRECT_BUFFER), arguments.glName)
        glDispatchComputeIndirect(GLintptr(offset))
        try checkDispatch(program)
    }

    private func bind(_ program: ComputeProgram, storage: [StorageBinding], uniforms: [UniformBinding]) throws {
        for binding in storage {
            let size = binding.resolvedSize
            guard binding.index >= 0, binding.index < limits.maxShaderStorageBufferBindings else {
                throw GLESError.bindingIndexTooHigh(program: program.name, kind: "storage", index: binding.index,
                                                    limit: limits.maxShaderStorageBufferBindings)
            }
            guard binding.offset >= 0, size > 0, binding.offset <= binding.buffer.byteCount,
                  size <= binding.buffer.byteCount - binding.offset else {
                throw GLESError.bindingOutOfRange(program: program.name, buffer: binding.buffer.label, index: binding.index,
                                                  offset: binding.offset, byteCount: size, bufferBytes: binding.buffer.byteCount)
            }
            guard size <= limits.maxShaderStorageBlockSize else {
                throw GLESError.bindingTooLarge(program: program.name, index: binding.index, byteCount: size,
                                                limit: limits.maxShaderStorageBlockSize)
            }
            guard binding.offset % max(1, limits.shaderStorageBufferOffsetAlignment) == 0 else {
                throw GLESError.bindingMisaligned(program: program.name, index: binding.index, offset: binding.offset,
                                                  alignment: limits.shaderStorageBufferOffsetAlignment)
            }
        }
        for binding in uniforms {
            guard binding.index >= 0, binding.index < limits.maxUniformBufferBindings else {
                throw GLESError.bindingIndexTooHigh(program: program.name, kind: "uniform", index: binding.index,
                                                    limit: limits.maxUniformBufferBindings)
            }
            switch binding.source {
            case .bytes(let bytes):
                guard bytes.count <= limits.maxUniformBlockSize else {
                    throw GLESError.invalidArgument("Program '\(program.name)': uniform block \(binding.index) has \(bytes.count) bytes, over GL_MAX_UNIFORM_BLOCK_SIZE \(limits.maxUniformBlockSize).")
                }
            case .buffer(let buffer, let offset, let size):
                let size = size ?? (buffer.byteCount - offset)
                guard offset >= 0, size > 0, offset <= buffer.byteCount, size <= buffer.byteCount - offset else {
                    throw GLESError.bindingOutOfRange(program: program.name, buffer: buffer.label, index: binding.index,
                                                      offset: offset, byteCount: size, bufferBytes: buffer.byteCount)
                }
                guard size <= limits.maxUniformBlockSize else {
                    throw GLESError.invalidArgument("Program '\(program.name)': uniform binding \(binding.index) spans \(size) bytes, over GL_MAX_UNIFORM_BLOCK_SIZE \(limits.maxUniformBlockSize).")
                }
                guard offset % max(1, limits.uniformBufferOffsetAlignment) == 0 else {
                    throw GLESError.bindingMisaligned(program: program.name, index: binding.index, offset: offset,
                                                      alignment: limits.uniformBufferOffsetAlignment)
                }
            }
        }

        try makeCurrent()
        glUseProgram(program.glName)
        for binding in storage {
            glBindBufferRange(gl(GL_SHADER_STORAGE_BUFFER), GLuint(binding.index), binding.buffer.glName,
                              GLintptr(binding.offset), GLsizeiptr(binding.resolvedSize))
        }
        for binding in uniforms {
            switch binding.source {
            case .bytes(let bytes):
                uniformRing.bind(bytes, at: binding.index)
            case .buffer(let buffer, let offset, let size):
                glBindBufferRange(gl(GL_UNIFORM_BUFFER), GLuint(binding.index), buffer.glName,
                                  GLintptr(offset), GLsizeiptr(size ?? (buffer.byteCount - offset)))
            }
        }
    }

    private func checkDispatch(_ program: ComputeProgram) throws {
        if checksErrorsAfterDispatch { try checkGL("dispatching '\(program.name)'") }
    }
}
