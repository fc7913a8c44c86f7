import CGLES
import Foundation

/// How host-written uniform blocks (a few dozen bytes a dispatch) reach the GPU:
///
/// - `.orphan`: a ring of small buffers, each re-specified with glBufferData on use, so the
///   driver hands out fresh storage. One allocation a dispatch.
/// - `.subdata`: one large buffer cut into slots at the uniform offset alignment, written with
///   glBufferSubData and bound with glBindBufferRange, slot after slot.
/// - `.mapped`: the `.subdata` slots, written through glMapBufferRange with the unsynchronized
///   and invalidate-range bits, so the driver neither waits nor copies.
/// - `.cached`: the slots used as a content-addressed cache: a block whose bytes were uploaded
///   before binds its old slot again with no upload. Most decode launches repeat their
///   parameters every token (only position-dependent ones change), so most uploads vanish.
/// - `.persistent`: `.cached`, but the slots live in immutable storage (GL_EXT_buffer_storage)
///   mapped once, persistent and coherent: a new block is a memcpy, no GL call at all, so no
///   upload can make the driver wait. Without the extension it falls back to `.cached`.
///
/// In every mode a slot is overwritten only once the dispatches that read it have finished
/// (`InFlightLimit`). On the H200 a launch queued behind others cost the GPU 12.9 µs with
/// `.subdata` and 10.6 µs with `.cached` (2.6 µs with neither an upload nor a barrier): an
/// upload into a buffer the GPU may be reading makes the driver wait for idle.
///
/// `GLContext.uniformUpload` picks one; the default is `.cached`, or `GLOptions.uniformUpload`
/// (GPTOSS_GL_UNIFORMS=orphan|subdata|mapped|cached|persistent), so they can be compared on a device.
public enum UniformUploadMode: String, CaseIterable, Sendable {
    case orphan, subdata, mapped, cached, persistent
}

final class UniformRing {
    typealias Mode = UniformUploadMode

    let mode: Mode
    private var names: [GLuint]
    private var next = 0
    private let slotBytes: Int
    private let slotCount: Int
    /// At most 512 uniform blocks in flight by default (`GLOptions.maxUniformBlocksInFlight`,
    /// GPTOSS_GL_MAX_IN_FLIGHT, 64…4096), fenced
    /// every limit / 4 (at most 512): a slot is reused only after limit + interval ≤ 4608 later
    /// binds at the least, fewer than the 8192 slots (the 64 orphaned buffers need no such bound:
    /// the driver renames them, but the limit bounds the queue there too).
    ///
    /// Why 512 and not more: on the H200 (driver 580) a 4096-token prefill of synthetic 120b with
    /// an upload on almost every launch (`.subdata`, grouped MoE forced) ended in NaN logits when
    /// 2048 or 3072 blocks could be queued without the CPU ever waiting, and was finite with 64,
    /// 512 and 1024 (docs/nan-hunt.md, fifth look). Decode never queues that far (it reads back
    /// every token), and a prefill keeps the GPU busy with 384+ launches still queued, so the
    /// bound costs no speed there.
    private let inFlight: InFlightLimit
    /// The bind number that last used each slot.
    private var lastUse: [Int]
    /// `.cached`: the slot holding each uploaded block, the block each slot holds, and whether
    /// a slot was bound again since the eviction hand last passed it (second chance).
    private var slotOfBlock: [[UInt8]: Int] = [:]
    private var blockInSlot: [[UInt8]?] = []
    private var referenced: [Bool] = []
    /// `.persistent`: the whole slot buffer, mapped once for the ring's life.
    private var persistentSlots: UnsafeMutableRawPointer?

    init(alignment: Int, mode requested: Mode, maxInFlight: Int, bufferStorage: GLExtensionProcs.BufferStorageFn? = nil) {
        let mode = requested == .persistent && bufferStorage == nil ? .cached : requested
        self.mode = mode
        let range = GLOptions.uniformBlocksInFlightRange
        let limit = min(range.upperBound, max(range.lowerBound, maxInFlight))
        inFlight = InFlightLimit(interval: min(512, limit / 4), limit: limit)
        switch mode {
        case .orphan:
            slotBytes = 0
            slotCount = 64
            names = [GLuint](repeating: 0, count: slotCount)
            glGenBuffers(GLsizei(slotCount), &names)
        case .subdata, .mapped, .cached, .persistent:
            // Slots big enough for any params block (256 bytes) at the device's alignment.
            let align = max(16, alignment)
            slotBytes = (256 + align - 1) / align * align
            slotCount = 8192
            names = [0]
            glGenBuffers(1, &names)
            glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            if mode == .persistent, let bufferStorage {
                let flags = GLbitfield(GL_MAP_WRITE_BIT) | GLbitfield(GL_MAP_PERSISTENT_BIT_EXT) | GLbitfield(GL_MAP_COHERENT_BIT_EXT)
                bufferStorage(gl(GL_UNIFORM_BUFFER), GLsizeiptr(slotBytes * slotCount), nil, flags)
                persistentSlots = glMapBufferRange(gl(GL_UNIFORM_BUFFER), 0, GLsizeiptr(slotBytes * slotCount), flags)
            }
            if persistentSlots == nil {
                if mode == .persistent {
                    // Storage made by glBufferStorageEXT is immutable: glBufferData would fail
                    // on it, so an unmappable buffer is replaced by a fresh one.
                    _ = takeGLError()
                    glDeleteBuffers(1, &names)
                    glGenBuffers(1, &names)
                    glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
                }
                glBufferData(gl(GL_UNIFORM_BUFFER), GLsizeiptr(slotBytes * slotCount), nil, gl(GL_DYNAMIC_DRAW))
            }
            if mode == .cached || mode == .persistent {
                blockInSlot = Array(repeating: nil, count: slotCount)
                referenced = Array(repeating: false, count: slotCount)
            }
        }
        lastUse = Array(repeating: -1, count: slotCount)
    }

    deinit {
        if persistentSlots != nil {
            glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            glUnmapBuffer(gl(GL_UNIFORM_BUFFER))
        }
        glDeleteBuffers(GLsizei(names.count), &names)
    }

    /// The bytes bound for a host block of `count` bytes: std140 blocks are multiples of 16
    /// bytes, so a short host array must not make the bound range smaller than the block the
    /// shader declares.
    static func boundSize(of count: Int) -> Int { max(16, (count + 15) / 16 * 16) }

    func bind(_ bytes: [UInt8], at index: Int) throws {
        let size = Self.boundSize(of: bytes.count)
        let use = try inFlight.next()
        switch mode {
        case .orphan:
            let name = names[next]
            next = (next + 1) % slotCount
            glBindBuffer(gl(GL_UNIFORM_BUFFER), name)
            glBufferData(gl(GL_UNIFORM_BUFFER), GLsizeiptr(size), nil, gl(GL_STREAM_DRAW))
            upload(bytes)
            glBindBufferBase(gl(GL_UNIFORM_BUFFER), GLuint(index), name)
            return
        case .subdata, .mapped:
            precondition(size <= slotBytes, "uniform block of \(size) bytes over the ring's \(slotBytes)-byte slots")
            let slot = next
            next = (next + 1) % slotCount
            if lastUse[slot] >= inFlight.completedBefore { inFlight.drain() }
            glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
            if mode == .mapped { write(bytes, at: slot * slotBytes) } else { upload(bytes, at: slot * slotBytes) }
            bindSlot(slot, size: size, at: index, use: use)
        case .cached, .persistent:
            precondition(size <= slotBytes, "uniform block of \(size) bytes over the ring's \(slotBytes)-byte slots")
            if let slot = slotOfBlock[bytes] {
                referenced[slot] = true
                bindSlot(slot, size: size, at: index, use: use)
                return
            }
            let slot = evictionVictim()
            if let evicted = blockInSlot[slot] { slotOfBlock[evicted] = nil }
            blockInSlot[slot] = bytes
            slotOfBlock[bytes] = slot
            if let persistentSlots {
                // Coherent mapping: the write is seen by every command queued after it.
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { (persistentSlots + slot * slotBytes).copyMemory(from: base, byteCount: raw.count) }
                }
            } else {
                glBindBuffer(gl(GL_UNIFORM_BUFFER), names[0])
                upload(bytes, at: slot * slotBytes)
            }
            bindSlot(slot, size: size, at: index, use: use)
        }
    }

    private func bindSlot(_ slot: Int, size: Int, at index: Int, use: Int) {
        lastUse[slot] = use
        glBindBufferRange(gl(GL_UNIFORM_BUFFER), GLuint(index), names[0], GLintptr(slot * slotBytes), GLsizeiptr(size))
    }

    /// The next slot under the hand that was not bound again since the hand last passed it and
    /// that no queued dispatch may still read. Slots bound since the last pass get a second
    /// chance, so blocks every token uses stay. At most limit + interval (≤ 4608) slots can be
    /// too recent, so the hand finds one within two turns.
    private func evictionVictim() -> Int {
        for turn in 0... {
            if turn == 2 * slotCount { inFlight.drain() }
            let slot = next
            next = (next + 1) % slotCount
            if referenced[slot] {
                referenced[slot] = false
                continue
            }
            if lastUse[slot] < inFlight.completedBefore { return slot }
        }
        fatalError("unreachable: an endless range")
    }

    private func upload(_ bytes: [UInt8], at offset: Int = 0) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            glBufferSubData(gl(GL_UNIFORM_BUFFER), GLintptr(offset), GLsizeiptr(raw.count), raw.baseAddress)
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
}
