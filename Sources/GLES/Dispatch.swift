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
        stamp(storage, uniforms)
        glDispatchCompute(GLuint(counts[0]), GLuint(counts[1]), GLuint(counts[2]))
        try checkDispatch(program)
        if let flushEvery, flushEvery > 0 {
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
        stamp(storage, uniforms, arguments: arguments)
        glBindBuffer(gl(GL_DISPATCH_INDIRECT_BUFFER), arguments.glName)
        glDispatchComputeIndirect(GLintptr(offset))
        try checkDispatch(program)
    }

    /// Marks the buffers a launch about to be issued reads or writes (with an indirect launch's
    /// `arguments`), so that an upload into one
    /// waits for it (`QueuedReads`).
    private func stamp(_ storage: [StorageBinding], _ uniforms: [UniformBinding], arguments: GPUBuffer? = nil) {
        let serial = queuedReads.nextLaunch()
        for binding in storage { binding.buffer.lastLaunch = serial }
        arguments?.lastLaunch = serial
        for binding in uniforms {
            if case .buffer(let buffer, _, _) = binding.source { buffer.lastLaunch = serial }
        }
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
                // Fewer bytes than the block declares would let the shader read past the range.
                if let declared = program.uniformBlockBytes[binding.index], UniformRing.boundSize(of: bytes.count) < declared {
                    throw GLESError.invalidArgument("Program '\(program.name)': uniform block \(binding.index) is \(declared) bytes, but the dispatch supplies \(bytes.count).")
                }
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
                try uniformRing.bind(bytes, at: binding.index)
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
