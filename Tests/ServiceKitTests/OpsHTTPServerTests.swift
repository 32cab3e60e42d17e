import Testing

@testable import ServiceKit

@Suite("Ops HTTP server")
struct OpsHTTPServerTests {
    /// Runs `body` against an ops server on a free port, then stops it.
    private func withOpsServer(
        readiness: Readiness = Readiness(), metrics: ServiceMetrics = ServiceMetrics(),
        _ body: (Int) async throws -> Void
    ) async throws {
        let server = OpsHTTPServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), endpoints: OpsEndpoints(metrics: metrics, readiness: readiness))
        try await server.start()
        let port = try #require(server.localPort)
        do {
            try await body(port)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func endpointsAnswerWithoutSockets() {
        let readiness = Readiness(check: { .notReady("model 'iris' is loading") })
        let metrics = ServiceMetrics()
        metrics.counter("demo_total", help: "A demo.").increment(by: 3)
        let endpoints = OpsEndpoints(metrics: metrics, readiness: readiness)
        #expect(endpoints.respond(method: "GET", target: "/healthz").status == 200)
        let notReady = endpoints.respond(method: "GET", target: "/readyz?verbose=1")
        #expect(notReady.status == 503)
        #expect(String(decoding: notReady.body, as: UTF8.self) == "not ready: model 'iris' is loading\n")
        readiness.setCheck { .ready }
        #expect(endpoints.respond(method: "GET", target: "/readyz").status == 200)
        let scrape = endpoints.respond(method: "GET", target: "/metrics")
        #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(parseExposition(String(decoding: scrape.body, as: UTF8.self))["demo_total"] == 3)
        #expect(endpoints.respond(method: "GET", target: "/").status == 404)
        let post = endpoints.respond(method: "POST", target: "/metrics")
        #expect(post.status == 405 && post.headers["Allow"] == "GET")
        readiness.beginDraining()
        #expect(endpoints.respond(method: "GET", target: "/readyz").status == 503)
    }

    @Test func servesHealthReadinessAndMetricsOverHTTP() async throws {
        let readiness = Readiness(check: { .notReady("starting") })
        let metrics = ServiceMetrics()
        let counter = metrics.counter("requests_total", help: "Requests.", labels: [("code", "OK")])
        counter.increment(by: 2)
        try await withOpsServer(readiness: readiness, metrics: metrics) { port in
            let health = try #require(await RawHTTP.get(port: port, "/healthz"))
            #expect(health.status == 200 && health.body == "ok\n")
            let notReady = try #require(await RawHTTP.get(port: port, "/readyz"))
            #expect(notReady.status == 503 && notReady.body == "not ready: starting\n")
            readiness.setCheck { .ready }
            #expect(await RawHTTP.get(port: port, "/readyz")?.status == 200)
            let scrape = try #require(await RawHTTP.get(port: port, "/metrics"))
            #expect(scrape.status == 200)
            #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(parseExposition(scrape.body)[#"requests_total{code="OK"}"#] == 2)
            #expect(scrape.body.contains("# HELP requests_total Requests."))
            #expect(await RawHTTP.get(port: port, "/nothing")?.status == 404)
            let post = await RawHTTP.exchange(
                port: port, "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            #expect(post?.first?.status == 405)
            #expect(post?.first?.headers["allow"] == "GET")
        }
    }

    @Test func keepsConnectionsAliveAndAnswersPipelinedRequestsInOrder() async throws {
        try await withOpsServer { port in
            let responses = await RawHTTP.exchange(
                port: port,
                "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            )
            #expect(responses?.map(\.status) == [200, 404, 200])
            // HTTP/1.0 without keep-alive is answered and closed.
            let old = await RawHTTP.exchange(port: port, "GET /healthz HTTP/1.0\r\n\r\n")
            #expect(old?.map(\.status) == [200])
        }
    }

    @Test func refusesOversizedHeaders() async throws {
        try await withOpsServer { port in
            let huge = String(repeating: "a", count: 16 * 1024)
            let responses = await RawHTTP.exchange(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: \(huge)\r\n\r\n")
            #expect(responses?.map(\.status) == [400])
            // The server is still fine for everyone else.
            #expect(await RawHTTP.get(port: port, "/healthz")?.status == 200)
        }
    }
}
