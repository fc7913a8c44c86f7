import CEGL
import CGLES

/// GL extension functions, fetched through eglGetProcAddress: libGLESv2 need not export
/// extension symbols, so linking against their prototypes would fail on some drivers.
struct GLExtensionProcs {
    typealias QueryCounterFn = @convention(c) (GLuint, GLenum) -> Void
    typealias GetQueryObjectUI64Fn = @convention(c) (GLuint, GLenum, UnsafeMutablePointer<GLuint64>?) -> Void
    typealias GetQueryivFn = @convention(c) (GLenum, GLenum, UnsafeMutablePointer<GLint>?) -> Void
    typealias GenQueriesFn = @convention(c) (GLsizei, UnsafeMutablePointer<GLuint>?) -> Void
    typealias BeginQueryFn = @convention(c) (GLenum, GLuint) -> Void
    typealias EndQueryFn = @convention(c) (GLenum) -> Void
    typealias BufferStorageFn = @convention(c) (GLenum, GLsizeiptr, UnsafeRawPointer?, GLbitfield) -> Void

    let queryCounter: QueryCounterFn?
    let getQueryObjectui64: GetQueryObjectUI64Fn?
    let getQueryiv: GetQueryivFn?
    let genQueries: GenQueriesFn?
    let deleteQueries: GenQueriesFn?
    let beginQuery: BeginQueryFn?
    let endQuery: EndQueryFn?
    /// glBufferStorageEXT (GL_EXT_buffer_storage): immutable storage that can stay mapped.
    let bufferStorage: BufferStorageFn?

    init() {
        queryCounter = loadEGLProc("glQueryCounterEXT", as: QueryCounterFn.self)
        getQueryObjectui64 = loadEGLProc("glGetQueryObjectui64vEXT", as: GetQueryObjectUI64Fn.self)
        getQueryiv = loadEGLProc("glGetQueryivEXT", as: GetQueryivFn.self)
        genQueries = loadEGLProc("glGenQueriesEXT", as: GenQueriesFn.self)
        deleteQueries = loadEGLProc("glDeleteQueriesEXT", as: GenQueriesFn.self)
        beginQuery = loadEGLProc("glBeginQueryEXT", as: BeginQueryFn.self)
        endQuery = loadEGLProc("glEndQueryEXT", as: EndQueryFn.self)
        bufferStorage = loadEGLProc("glBufferStorageEXT", as: BufferStorageFn.self)
    }

    /// True when every entry point the disjoint-timer path needs was found.
    var hasTimerQueries: Bool {
        queryCounter != nil && getQueryObjectui64 != nil && getQueryiv != nil && genQueries != nil
            && deleteQueries != nil && beginQuery != nil && endQuery != nil
    }
}
