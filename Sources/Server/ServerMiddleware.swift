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
            guard given == "Bearer " + key else { throw APIError.unauthorized() }
        }
        return try await next(request, context)
    }
}
