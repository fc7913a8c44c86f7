import XCTest
@testable import WGSL
