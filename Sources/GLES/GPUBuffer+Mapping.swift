import CGLES

/// Writing a buffer through a mapped pointer: the CPU fills the driver's memory directly (one
/// copy fewer than `upload`, which hands the driver a host array to copy). The mapped range may
/// be written from any thread; `map` and `unmap` must run on the context's thread, and no other
/// GL call may touch this buffer in between.
extension GPUBuffer {
    /// Maps `count` bytes from `offset` (default: the whole buffer) for writing. Their old
    /// contents are discarded, so every byte of the range must be written before `unmap`.
    public func mapForWriting(offset: Int = 0, count: Int? = nil) throws -> UnsafeMutableRawBufferPointer {
        let count = count ?? (byteCount - offset)
        try checkRange("map for writing", offset: offset, count: count)
        try context.makeCurrent()
        // As `upload`: never write under a queued launch that reads the buffer (`QueuedReads`).
        try context.waitForQueuedReads(of: self)
        glMemoryBarrier(GLbitfield(GL_BUFFER_UPDATE_BARRIER_BIT))
        glBindBuffer(gl(GL_COPY_WRITE_BUFFER), glName)
        let whole = offset == 0 && count == byteCount
        let access = GLbitfield(GL_MAP_WRITE_BIT) | GLbitfield(whole ? GL_MAP_INVALIDATE_BUFFER_BIT : GL_MAP_INVALIDATE_RANGE_BIT)
        guard let mapped = glMapBufferRange(gl(GL_COPY_WRITE_BUFFER), GLintptr(offset), GLsizeiptr(count), access) else {
            let code = takeGLError().map(glErrorName) ?? "no GL error"
            throw GLESError.mapFailed(buffer: label, offset: offset, byteCount: count, code: code)
        }
        return UnsafeMutableRawBufferPointer(start: mapped, count: count)
    }

    /// Ends a `mapForWriting`; the driver then owns the written bytes.
    public func unmap() throws {
        try context.makeCurrent()
        glBindBuffer(gl(GL_COPY_WRITE_BUFFER), glName)
        let intact = glUnmapBuffer(gl(GL_COPY_WRITE_BUFFER))
        try checkGL("unmapping '\(label)'")
        guard intact != GLboolean(GL_FALSE) else {
            throw GLESError.mapFailed(buffer: label, offset: 0, byteCount: byteCount,
                                      code: "the driver lost the mapped contents (glUnmapBuffer returned false); load again")
        }
    }
}
