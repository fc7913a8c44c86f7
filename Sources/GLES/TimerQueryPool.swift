import CGLES

/// Query objects of GL_EXT_disjoint_timer_query, made on demand and reused, deleted with the
/// pool; shared by `GPUTimer` and `GPUTimeline`.
final class TimerQueryPool {
    let context: GLContext
    private var free: [GLuint] = []
    private var all: [GLuint] = []

    init(context: GLContext) {
        self.context = context
    }

    deinit {
        guard !all.isEmpty else { return }
        var queries = all
        context.borrowCurrent { context.procs.deleteQueries?(GLsizei(queries.count), &queries) }
    }

    /// A query object not in use.
    func take() -> GLuint {
        if let query = free.popLast() { return query }
        var query: GLuint = 0
        context.procs.genQueries?(1, &query)
        all.append(query)
        return query
    }

    func release(_ query: GLuint) {
        free.append(query)
    }

    /// The query's result (waits for it).
    func result(_ query: GLuint) -> UInt64 {
        var value: GLuint64 = 0
        context.procs.getQueryObjectui64?(query, gl(GL_QUERY_RESULT_EXT), &value)
        return value
    }

    /// Reads GL_GPU_DISJOINT_EXT, which reading clears: true when something (a clock change, a
    /// context switch) made GPU times since the last read unreliable. Call with the context current.
    func takeDisjoint() -> Bool {
        var disjoint: GLint = 0
        glGetIntegerv(gl(GL_GPU_DISJOINT_EXT), &disjoint)
        return disjoint != 0
    }
}
