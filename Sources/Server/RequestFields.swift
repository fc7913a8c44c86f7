import Tokenizer

/// A JSON object from a request body, read field by field: each getter checks the type and
/// throws a 400 that names the field (`param`, e.g. "messages[2].content") when it is wrong.
/// Unknown fields are ignored, as OpenAI's API does.
struct RequestFields {
    let members: [OrderedJSON.Member]
    /// Where this object sits in the request ("" for the body, "messages[0]" …).
    let place: String

    init(_ value: OrderedJSON, place: String) throws {
        guard let members = value.members else {
            throw APIError.invalid("\(place.isEmpty ? "The request body" : "'\(place)'") must be a JSON object, not \(value.kindName).",
                                   param: place.isEmpty ? nil : place)
        }
        self.members = members
        self.place = place
    }

    func path(_ key: String) -> String { place.isEmpty ? key : "\(place).\(key)" }

    /// The value, with JSON null treated as absent.
    func value(_ key: String) -> OrderedJSON? {
        guard let value = members.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func wrongType(_ key: String, _ expected: String, _ value: OrderedJSON) -> APIError {
        .invalid("'\(path(key))' must be \(expected), not \(value.kindName).", param: path(key))
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else { throw wrongType(key, "a string", value) }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw APIError.invalid("'\(path(key))' is required.", param: path(key)) }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.bool else { throw wrongType(key, "true or false", value) }
        return flag
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.double, number.isFinite else { throw wrongType(key, "a number", value) }
        guard range.contains(number) else {
            throw APIError.invalid("'\(path(key))' is \(number); it must be between \(range.lowerBound) and \(range.upperBound).",
                                   param: path(key))
        }
        return number
    }

    func int(_ key: String, atLeast minimum: Int) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.int else { throw wrongType(key, "an integer", value) }
        guard number >= minimum else {
            throw APIError.invalid("'\(path(key))' is \(number); it must be at least \(minimum).", param: path(key))
        }
        return number
    }

    func array(_ key: String) throws -> [OrderedJSON]? {
        guard let value = value(key) else { return nil }
        guard let items = value.array else { throw wrongType(key, "an array", value) }
        return items
    }

    func object(_ key: String) throws -> RequestFields? {
        guard let value = value(key) else { return nil }
        return try RequestFields(value, place: path(key))
    }
}
