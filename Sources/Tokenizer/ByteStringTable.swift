import Foundation

/// An immutable hash table from byte strings to token ids, looked up by pointer and length so
/// that BPE can ask about any slice of a piece without allocating.
///
/// Swift's `Dictionary<[UInt8], Int32>` would hash and compare through generic array code; this
/// table keeps every key in one flat buffer and probes an open-addressing index, which is what
/// makes encoding a megabyte of text take milliseconds rather than seconds.
struct ByteStringTable {
    private var storage: [UInt8] = []
    private var keyStart: [Int32] = []   // per entry: offset in `storage`
    private var keyLength: [Int32] = []  // per entry: byte count
    private var values: [Int32] = []     // per entry: the token id
    private var slots: [Int32]           // entry index + 1; 0 = empty
    private let mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { values.count }

    /// Adds `key` → `value`; if the key is present already the first value is kept (false).
    /// The table never grows: inserting beyond the capacity given at init is refused (false).
    @discardableResult
    mutating func insert(_ key: [UInt8], value: Int32) -> Bool {
        key.withUnsafeBufferPointer { insert($0, value: value) }
    }

    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) -> Bool {
        guard let base = key.baseAddress else { return false }
        if lookup(base, key.count) != nil { return false }
        if slots.count < (values.count + 1) * 2 { return false }
        let entry = Int32(values.count)
        keyStart.append(Int32(storage.count))
        keyLength.append(Int32(key.count))
        storage.append(contentsOf: key)
        values.append(value)
        var slot = Self.hash(base, key.count) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry + 1
        return true
    }

    /// The value stored for the `count` bytes at `bytes`, or nil.
    @inline(__always)
    func lookup(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32? {
        var slot = Self.hash(bytes, count) & mask
        return slots.withUnsafeBufferPointer { slots in
            storage.withUnsafeBufferPointer { storage in
                while true {
                    let stored = Int(slots[slot])
                    if stored == 0 { return nil }
                    let entry = stored - 1
                    if Int(keyLength[entry]) == count,
                       memcmp(storage.baseAddress! + Int(keyStart[entry]), bytes, count) == 0 {
                        return values[entry]
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// FNV-1a over the bytes, then a final avalanche so that nearby keys spread over the table.
    @inline(__always)
    private static func hash(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<count {
            h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}
