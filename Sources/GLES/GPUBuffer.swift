import CGLES
import Foundation

/// How a buffer will be used: a hint that lets the driver place it (device memory or not).
public enum BufferUsage: Sendable {
    /// Written and read by shaders (activations, KV cache, scratch): GL_DYNAMIC_COPY.
    case deviceLocal
    /// Uploaded once, then only read by shaders (weights): GL_STATIC_DRAW.
    case staticData
    /// Written by shaders and mapped by the CPU often: GL_DYNAMIC_READ.
    case readback

    var glUsage: GLenum {
        switch self {
        case .deviceLocal: return gl(GL_DYNAMIC_COPY)
        case .staticData: return gl(GL_STATIC_DRAW)
        case .readback: return gl(GL_DYNAMIC_READ)
        }
    }
}

/// A GL buffer object that shaders bind as storage (or uniform) memory. Released when the last
/// reference goes away (from the context's thread; see `GLContext`).
public final class GPUBuffer {
    public let byteCount: Int
    public let label: String
    public let usage: BufferUsage
    /// The GL buffer name, for code that issues GL calls of its own (the HUD).
    public let glName: GLuint
    public let context: GLContext
    /// The serial of the last launch that bound this buffer (`QueuedReads`); 0: none.
    var lastLaunch: UInt64 = 0

    /// Uploads larger than this go to the driver in pieces, so a multi-GB tensor never needs a
    /// second multi-GB staging copy inside the driver.
    public static let uploadChunkBytes = 64 << 20

    init(context: GLContext, byteCount: Int, label: String, usage: BufferUsage) throws {
        guard byteCount > 0 else {
            throw GLESError.invalidArgument("Buffer '\(label)': byte count must be positive, got \(byteCount).")
        }
        let allocated = context.memoryTracker.stats.allocatedBytes
        if let limit = context.limits.maxBufferSize, byteCount > limit {
            throw GLESError.outOfMemory(label: label, byteCount: byteCount, allocatedBytes: allocated)
        }
        _ = takeGLError()
        var name: GLuint = 0
        glGenBuffers(1, &name)
        glBindBuffer(gl(GL_COPY_WRITE_BUFFER), name)
        glBufferData(gl(GL_COPY_WRITE_BUFFER), GLsizeiptr(byteCount), nil, usage.glUsage)
        if let code = takeGLError() {
            glDeleteBuffers(1, &name)
            if code == gl(GL_OUT_OF_MEMORY) {
                throw GLESError.outOfMemory(label: label, byteCount: byteCount, allocatedBytes: allocated)
            }
            throw GLESError.glError(operation: "glBufferData for buffer '\(label)' (\(byteCount) bytes)", code: glErrorName(code))
        }
        self.byteCount = byteCount
        self.label = label
        self.usage = usage
        self.glName = name
        self.context = context
        context.memoryTracker.allocated(byteCount)
    }

    deinit {
        var name = glName
        context.borrowCurrent { glDeleteBuffers(1, &name) }
        context.memoryTracker.released(byteCount)
    }

    func checkRange(_ operation: String, offset: Int, count: Int) throws {
        guard offset >= 0, count >= 0, offset <= byteCount, count <= byteCount - offset else {
            throw GLESError.rangeOutOfBounds(buffer: label, operation: operation, offset: offset, byteCount: count, bufferBytes: byteCount)
        }
    }

    // MARK: - Upload

    /// Copies `bytes` into the buffer starting at byte `offset`, in chunks of `uploadChunkBytes`.
    public func upload(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws {
        try checkRange("upload", offset: offset, count: bytes.count)
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        try context.makeCurrent()
        if context.options.finishesBeforeUploads { glFinish() }
        try context.waitForQueuedReads(of: self)
        // Orders this update after earlier shader writes to the same buffer.
        glMemoryBarrier(GLbitfield(GL_BUFFER_UPDATE_BARRIER_BIT))
        glBindBuffer(gl(GL_COPY_WRITE_BUFFER), glName)
        var done = 0
        while done < bytes.count {
            let piece = min(Self.uploadChunkBytes, bytes.count - done)
            glBufferSubData(gl(GL_COPY_WRITE_BUFFER), GLintptr(offset + done), GLsizeiptr(piece), base + done)
            done += piece
        }
        try checkGL("glBufferSubData into '\(label)' at \(offset), \(bytes.count) bytes")
    }

    /// Copies an array of plain values (Float, UInt32, UInt8, …) into the buffer at `offset`.
    public func upload<T>(_ values: [T], at offset: Int = 0) throws {
        try values.withUnsafeBytes { try upload($0, at: offset) }
    }

    /// Streams `byteCount` bytes into the buffer at `offset` without holding them all in memory:
    /// `fill` is called once per chunk with a staging area to fill and the chunk's position
    /// relative to `offset` (e.g. to read that part of a tensor from a file or an HTTP range).
    public func upload(at offset: Int, byteCount count: Int, chunkBytes: Int = GPUBuffer.uploadChunkBytes,
                       fill: (UnsafeMutableRawBufferPointer, Int) throws -> Void) throws {
        try checkRange("streamed upload", offset: offset, count: count)
        guard chunkBytes > 0 else { throw GLESError.invalidArgument("upload chunk size must be positive, got \(chunkBytes)") }
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkBytes, max(count, 1)), alignment: 16)
        defer { staging.deallocate() }
        var done = 0
        while done < count {
            let piece = min(staging.count, count - done)
            let window = UnsafeMutableRawBufferPointer(rebasing: staging[0..<piece])
            try fill(window, done)
            try upload(UnsafeRawBufferPointer(window), at: offset + done)
            done += piece
        }
    }

    /// Sets `count` bytes from `offset` (default: the whole buffer) to zero.
    public func zero(at offset: Int = 0, byteCount count: Int? = nil) throws {
        let count = count ?? (byteCount - offset)
        try checkRange("zero", offset: offset, count: count)
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, Self.uploadChunkBytes), alignment: 16)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var done = 0
        while done < count {
            let piece = min(zeros.count, count - done)
            try upload(UnsafeRawBufferPointer(rebasing: zeros[0..<piece]), at: offset + done)
            done += piece
        }
    }

    // MARK: - Readback

    /// Reads `count` bytes from `offset` (default: to the end). Waits for earlier GPU writes.
    public func read(at offset: Int = 0, count: Int? = nil) throws -> [UInt8] {
        let count = count ?? (byteCount - offset)
        try checkRange("read", offset: offset, count: count)
        return try [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
            try read(into: UnsafeMutableRawBufferPointer(storage), at: offset)
            initialized = count
        }
    }

    /// Reads `count` values of a plain type starting at byte `offset`.
    public func read<T>(_ type: T.Type, at offset: Int = 0, count: Int) throws -> [T] where T: Numeric {
        try checkRange("read", offset: offset, count: count * MemoryLayout<T>.stride)
        return try [T](unsafeUninitializedCapacity: count) { storage, initialized in
            try read(into: UnsafeMutableRawBufferPointer(storage), at: offset)
            initialized = count
        }
    }

    public func readFloats(at offset: Int = 0, count: Int? = nil) throws -> [Float] {
        try read(Float.self, at: offset, count: count ?? (byteCount - offset) / 4)
    }

    public func readUInt32s(at offset: Int = 0, count: Int? = nil) throws -> [UInt32] {
        try read(UInt32.self, at: offset, count: count ?? (byteCount - offset) / 4)
    }

    /// Maps the range for reading (after a buffer-update barrier so shader writes are visible)
    /// and copies it into `destination`.
    public func read(into destination: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        try checkRange("read", offset: offset, count: destination.count)
        guard destination.count > 0 else { return }
        try context.makeCurrent()
        glMemoryBarrier(GLbitfield(GL_BUFFER_UPDATE_BARRIER_BIT))
        let fence = context.fenceBeforeReadback()
        glBindBuffer(gl(GL_COPY_READ_BUFFER), glName)
        guard let mapped = glMapBufferRange(gl(GL_COPY_READ_BUFFER), GLintptr(offset), GLsizeiptr(destination.count),
                                            GLbitfield(GL_MAP_READ_BIT)) else {
            if let fence { glDeleteSync(fence.sync) }
            let code = takeGLError().map(glErrorName) ?? "no GL error"
            throw GLESError.mapFailed(buffer: label, offset: offset, byteCount: destination.count, code: code)
        }
        destination.copyMemory(from: UnsafeRawBufferPointer(start: mapped, count: destination.count))
        glUnmapBuffer(gl(GL_COPY_READ_BUFFER))
        context.noteFinished(fence)
        try checkGL("reading '\(label)' at \(offset), \(destination.count) bytes")
    }

    // MARK: - Copy

    /// Copies `count` bytes from `source` at `sourceOffset` into this buffer at `offset` on the GPU.
    public func copy(from source: GPUBuffer, sourceOffset: Int = 0, to offset: Int = 0, byteCount count: Int) throws {
        try source.checkRange("copy source", offset: sourceOffset, count: count)
        try checkRange("copy destination", offset: offset, count: count)
        guard count > 0 else { return }
        try context.makeCurrent()
        glMemoryBarrier(GLbitfield(GL_BUFFER_UPDATE_BARRIER_BIT))
        glBindBuffer(gl(GL_COPY_READ_BUFFER), source.glName)
        glBindBuffer(gl(GL_COPY_WRITE_BUFFER), glName)
        glCopyBufferSubData(gl(GL_COPY_READ_BUFFER), gl(GL_COPY_WRITE_BUFFER), GLintptr(sourceOffset), GLintptr(offset), GLsizeiptr(count))
        try checkGL("copying \(count) bytes from '\(source.label)' to '\(label)'")
    }
}

extension GLContext {
    /// A buffer of `byteCount` bytes with undefined contents (call `zero()` where that matters).
    public func makeBuffer(byteCount: Int, label: String, usage: BufferUsage = .deviceLocal) throws -> GPUBuffer {
        try makeCurrent()
        return try GPUBuffer(context: self, byteCount: byteCount, label: label, usage: usage)
    }

    /// A buffer holding a copy of `array` (plain values: Float, UInt32, …).
    public func makeBuffer<T>(array: [T], label: String, usage: BufferUsage = .deviceLocal) throws -> GPUBuffer {
        let buffer = try makeBuffer(byteCount: array.count * MemoryLayout<T>.stride, label: label, usage: usage)
        try buffer.upload(array)
        return buffer
    }
}
