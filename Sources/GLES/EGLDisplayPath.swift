import CEGL
import Foundation

/// The EGL platform a display came from, in the order `GLContext.createHeadless` tries them.
public enum EGLPlatformChoice: String, Codable, CaseIterable, Sendable {
    /// EGL_EXT_platform_device: a GPU (or Mesa's software device) without any window system.
    case device
    /// EGL_MESA_platform_surfaceless: Mesa's display with no window system (llvmpipe on a CPU).
    case surfaceless
    /// eglGetDisplay(EGL_DEFAULT_DISPLAY): whatever the driver picks (may need X11 or Wayland).
    case `default`
}

/// One display to try: how to open it and a human description for the probe and errors.
struct EGLDisplayCandidate {
    let platform: EGLPlatformChoice
    let description: String
    let deviceIndex: Int?
    let deviceExtensions: String?
    let open: () -> EGLDisplay?
}

/// Lists the displays to try, device platform first. `preferDevice` moves that device to the
/// front; `only` restricts the list to one platform.
func eglDisplayCandidates(preferDevice: Int?, only: EGLPlatformChoice?) -> (candidates: [EGLDisplayCandidate], notes: [String]) {
    var candidates: [EGLDisplayCandidate] = []
    var notes: [String] = []
    let client = eglClientExtensions()
    let getPlatformDisplay = loadEGLProc("eglGetPlatformDisplayEXT", as: EGLGetPlatformDisplayFn.self)

    if only == nil || only == .device {
        let hasDevices = client.contains("EGL_EXT_device_enumeration") || client.contains("EGL_EXT_device_base")
        if client.contains("EGL_EXT_platform_device"), hasDevices, let getPlatformDisplay,
           let queryDevices = loadEGLProc("eglQueryDevicesEXT", as: EGLQueryDevicesFn.self) {
            let queryString = loadEGLProc("eglQueryDeviceStringEXT", as: EGLQueryDeviceStringFn.self)
            var count: EGLint = 0
            if queryDevices(0, nil, &count) == EGLBoolean(EGL_TRUE), count > 0 {
                var devices = [EGLDeviceEXT?](repeating: nil, count: Int(count))
                _ = queryDevices(count, &devices, &count)
                // Hardware before software: where glvnd loads Mesa beside a GPU driver, Mesa's
                // software device must not win over the GPU.
                let isSoftware = (0..<Int(count)).map { index -> Bool in
                    guard let queryString, let pointer = queryString(devices[index], EGL_EXTENSIONS) else { return false }
                    return String(cString: pointer).contains("EGL_MESA_device_software")
                }
                var order = (0..<Int(count)).filter { !isSoftware[$0] } + (0..<Int(count)).filter { isSoftware[$0] }
                if let preferDevice {
                    if order.contains(preferDevice) {
                        order.removeAll { $0 == preferDevice }
                        order.insert(preferDevice, at: 0)
                    } else {
                        notes.append("EGL device \(preferDevice) requested but only \(count) found")
                    }
                }
                for index in order {
                    let device = devices[index]
                    func string(_ name: EGLint) -> String? {
                        guard let queryString, let pointer = queryString(device, name) else { return nil }
                        return String(cString: pointer)
                    }
                    let extensions = string(EGL_EXTENSIONS)
                    var name = "EGL device \(index)"
                    if extensions?.contains("EGL_EXT_device_drm") == true, let file = string(EGL_DRM_DEVICE_FILE_EXT) {
                        name += " (\(file))"
                    }
                    else if extensions?.contains("EGL_MESA_device_software") == true { name += " (Mesa software)" }
                    candidates.append(EGLDisplayCandidate(
                        platform: .device, description: name, deviceIndex: index, deviceExtensions: extensions,
                        open: { getPlatformDisplay(EGLenum(EGL_PLATFORM_DEVICE_EXT), device, nil) }))
                }
            } else {
                notes.append("EGL device platform: eglQueryDevicesEXT found no devices (\(lastEGLError()))")
            }
        } else {
            notes.append("EGL device platform: not offered by this EGL (client extensions lack EGL_EXT_platform_device or device enumeration)")
        }
    }
    if only == nil || only == .surfaceless {
        if client.contains("EGL_MESA_platform_surfaceless"), let getPlatformDisplay {
            candidates.append(EGLDisplayCandidate(
                platform: .surfaceless, description: "Mesa surfaceless platform", deviceIndex: nil, deviceExtensions: nil,
                open: { getPlatformDisplay(EGLenum(EGL_PLATFORM_SURFACELESS_MESA), nil, nil) }))
        } else {
            notes.append("Mesa surfaceless platform: not offered by this EGL")
        }
    }
    if only == nil || only == .default {
        candidates.append(EGLDisplayCandidate(
            platform: .default, description: "default display", deviceIndex: nil, deviceExtensions: nil,
            open: { eglGetDisplay(nil) }))
    }
    return (candidates, notes)
}
