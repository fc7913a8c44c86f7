import XCTest
@testable import GPTOSS
