import XCTest
@testable import Tokenizer
