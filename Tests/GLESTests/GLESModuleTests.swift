import XCTest
@testable import GLES
