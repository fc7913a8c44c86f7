import XCTest
@testable import GGUF
