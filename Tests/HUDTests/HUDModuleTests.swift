import XCTest
@testable import HUD
