/// Where each row of a GPU weight matrix comes from in the raw ggml bytes of one or more file
/// tensors: lets one repack pass fuse tensors (Q|K|V, an expert's gate then up rows) without
/// building intermediate copies. The map keeps the objects that own those bytes (`owners`)
/// alive for as long as it exists, so a repack through it never reads freed memory: an
/// optimised build may otherwise release a tensor right after its pointer was taken.
public struct RawRowMap: @unchecked Sendable {
    enum Layout {
        /// Row r at `base + r·rowBytes`.
        case contiguous(UnsafeRawPointer)
        /// Tensors one after another: the first `rows` rows from the first, and so on.
        case concatenated([(rows: Int, base: UnsafeRawPointer)])
        /// Units of `rowsPerPart` rows taken from each part in turn: unit u is rows
        /// u·rowsPerPart ..< (u+1)·rowsPerPart of part 0, then the same rows of part 1, …
        case interleaved(parts: [UnsafeRawPointer], rowsPerPart: Int)
    }

    let layout: Layout
    /// Whatever owns the bytes the pointers point into, retained by the map.
    let owners: [AnyObject]
    /// Raw bytes of one row (every part has the same format and row length).
    public let rowBytes: Int
    /// Rows the map describes.
    public let rows: Int

    /// One tensor of `rows` rows.
    public static func contiguous(_ base: UnsafeRawPointer, rows: Int, rowBytes: Int, keeping owners: [AnyObject] = []) -> RawRowMap {
        RawRowMap(layout: .contiguous(base), owners: owners, rowBytes: rowBytes, rows: rows)
    }

    /// Tensors stacked row-wise, in order.
    public static func concatenated(_ parts: [(rows: Int, base: UnsafeRawPointer)], rowBytes: Int,
                                    keeping owners: [AnyObject] = []) -> RawRowMap {
        RawRowMap(layout: .concatenated(parts), owners: owners, rowBytes: rowBytes, rows: parts.reduce(0) { $0 + $1.rows })
    }

    /// Same-shaped tensors of `units` units of `rowsPerPart` rows each, interleaved unit by unit
    /// (experts: gate rows of expert e, then its up rows).
    public static func interleaved(_ parts: [UnsafeRawPointer], rowsPerPart: Int, units: Int, rowBytes: Int,
                                   keeping owners: [AnyObject] = []) -> RawRowMap {
        RawRowMap(layout: .interleaved(parts: parts, rowsPerPart: rowsPerPart), owners: owners, rowBytes: rowBytes,
                  rows: parts.count * rowsPerPart * units)
    }

    /// The raw bytes of row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeRawPointer {
        switch layout {
        case .contiguous(let base):
            return base + row * rowBytes
        case .concatenated(let parts):
            var r = row
            for part in parts {
                if r < part.rows { return part.base + r * rowBytes }
                r -= part.rows
            }
            preconditionFailure("row \(row) is outside the \(rows) mapped rows")
        case .interleaved(let parts, let per):
            let group = per * parts.count
            let unit = row / group, within = row % group
            return parts[within / per] + (unit * per + within % per) * rowBytes
        }
    }
}
