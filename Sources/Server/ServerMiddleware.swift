import Hummingbird

/// The outermost layer: every error becomes OpenAI's JSON error with its status, and every
/// answer is counted in the metrics by endpoint and status.
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = APIError.notFound(path).response
        } catch is ClientGone {
            // Nobody reads this answer; counted as nginx's 499 "client closed request".
            metrics.countRequest(path: path, status: 499)
            throw ClientGone()
        } catch {
            response = APIError.from(error).response
        }
        metrics.countRequest(path: path, status: response.status.code)
        return response
    }
}

/// `--api-key`: requests without `Authorization: Bearer KEY` get 401 (except /health, which
/// load balancers probe without credentials).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path != "/health" {
            let given = request.headers[.authorization] ?? ""
            guard Self.sameBytes(Array(given.utf8), Array(("Bearer " + key).utf8)) else { throw APIError.unauthorized() }
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so the time taken does not tell how
    /// much of a guessed key was right.
    static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0 ..< max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
