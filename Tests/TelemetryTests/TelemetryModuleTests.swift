import XCTest
@testable import Telemetry
