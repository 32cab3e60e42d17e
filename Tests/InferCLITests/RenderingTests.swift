import AdminAPI
import InferCLICore
import InferenceAPI
import RPCCore
import Testing

@Suite struct RenderingTests {
    @Test func tableAlignsColumnsAndTrimsTrailingSpaces() {
        var table = TextTable(headers: ["NAME", "N", "NOTE"], rightAligned: [1])
        table.append(["a", "10", ""])
        table.append(["long-name", "7", "x"])
        #expect(
            table.rendered == """
                NAME        N  NOTE
                a          10
                long-name   7  x

                """)
    }

    @Test func responseTableHasOneLinePerRowWithTheVersion() throws {
        let text = try Fixtures.classification(rows: 3).table(rows: 3)
        #expect(
            text == """
                ROW  VERSION  label  probability
                  1  2            0  [0.25, 0.75]
                  2  2            1  [0.25, 0.75]
                  3  2            2  [0.25, 0.75]

                """)
    }

    @Test func outputsNotPerRowAreListedUnderTheTable() throws {
        var response = Fixtures.classification(rows: 1, version: "")
        response.outputs.append(InferTensor(name: "names", shape: [2], bytesElements: [Array("a".utf8), Array("b".utf8)]))
        response.outputs.append(InferTensor(name: "score", shape: [], values: [Double(1) / 3]))
        #expect(
            try response.table(rows: 1) == """
                ROW  VERSION  label  probability
                  1  -            0  [0.25, 0.75]
                names BYTES [2]: a, b
                score FP64 []: 0.333333

                """)
    }

    @Test func responseJSONFollowsKServeRestShape() throws {
        var response = Fixtures.classification(rows: 2)
        response.parameters = ["z": .int64(1), "a": .string("x")]
        #expect(
            try response.json().compactText == #"""
                {"model_name":"iris","model_version":"2","id":"req-1","parameters":{"a":"x","z":1},"outputs":[{"name":"label","datatype":"INT64","shape":[2],"data":[0,1]},{"name":"probability","datatype":"FP32","shape":[2,2],"data":[0.25,0.75,0.25,0.75]}]}
                """#)
    }

    @Test func elementsOfEveryDatatypeDisplay() throws {
        #expect(
            try InferTensor(name: "h", datatype: .fp16, shape: [2], data: [0x00, 0x3C, 0x00, 0xC0]).elements().map(\.display)
                == ["1", "-2"])
        #expect(try InferTensor(name: "b", datatype: .bf16, shape: [1], data: [0xC0, 0x3F]).elements().map(\.display) == ["1.5"])
        #expect(try InferTensor(name: "u", shape: [1], values: [UInt8(200)]).elements().map(\.display) == ["200"])
        #expect(try InferTensor(name: "f", shape: [2], bools: [true, false]).elements().map(\.display) == ["true", "false"])
        #expect(try InferTensor(name: "x", shape: [1], bytesElements: [[0xFF, 0x00]]).elements().map(\.display) == ["0xff00"])
        #expect(
            try InferTensor(name: "d", shape: [3], values: [1e-7, 123456789.0, Double.nan]).elements().map(\.display)
                == ["1e-07", "1.23457e+08", "NaN"])
    }

    @Test func truncatedOutputIsAnError() {
        let tensor = InferTensor(name: "label", datatype: .int64, shape: [2], data: [1, 0, 0, 0])
        #expect(throws: RPCError.self) { try tensor.elements() }
    }

    @Test func routesTable() {
        #expect(
            Fixtures.routes.table == """
                MODEL  VERSION  WEIGHT  ENDPOINTS                       PIPELINE       CANARY
                iris   1           75%  127.0.0.1:7001, 127.0.0.1:7002  iris-features  progressing
                       2           25%  dns:///iris-v2:8001
                wine   3          100%  10.0.0.5:8001                   -              -

                """)
        #expect(RouteList(routes: [], yaml: "").table == "no routes\n")
    }

    @Test func routesJSON() {
        #expect(
            RouteList(routes: [Fixtures.routes.routes[1]], yaml: "y").json.compactText == #"""
                {"routes":[{"model":"wine","pipeline":"","canary_phase":"","versions":[{"version":"3","worker_model":"wine-gbm","weight":100.0,"endpoints":["10.0.0.5:8001"]}]}],"yaml":"y"}
                """#)
    }

    @Test func canaryStatusText() {
        #expect(
            Fixtures.canary.text == """
                model          iris
                stable         1
                candidate      2
                phase          progressing
                weight         25%
                step           2 of 4 (5%, 25%, 50%, 100%)
                step started   2024-05-01 12:00:00Z
                last decision  hold: 100 of 100 calls, waiting for the interval

                VERSION  ROLE       CALLS  ERRORS  P50 MS  P99 MS
                1        stable       300       1    0.84     2.5
                2        candidate    100       0     0.9   3.125

                TIME                  PHASE        WEIGHT  REASON
                2024-05-01 11:59:30Z  progressing      5%  started
                2024-05-01 12:00:00Z  progressing     25%  step passed: 120 calls, 0 errors

                """)
        #expect(CanaryStatusList(canaries: []).text == "no canaries\n")
    }

    @Test func canaryStatusJSONUsesProtoFieldNames() {
        let json = CanaryStatusList(canaries: [Fixtures.canary]).json.compactText
        #expect(
            json.hasPrefix(
                #"{"canaries":[{"model":"iris","stable":"1","candidate":"2","phase":"progressing","weight":25.0,"step_index":1,"steps":[5.0,25.0,50.0,100.0],"step_started_unix_ms":1714564800000,"stable_measurement":{"version":"1","calls":300,"errors":1,"p50_ms":0.84,"p99_ms":2.5}"#
            ))
        #expect(
            json.hasSuffix(
                #""last_decision":"hold: 100 of 100 calls, waiting for the interval","leader":"","coordination":""}]}"#))
    }

    @Test func hintsTable() {
        #expect(
            Fixtures.hints.table == """
                MODEL  VERSION  STABLE CONCURRENCY  PANIC CONCURRENCY  DESIRED  READY  PANIC  TARGET
                iris   1                      3.25               7.50        2      2  no          8
                iris   2                      0.50              12.00        3      1  yes         4

                """)
        #expect(AutoscalingHintList(hints: []).table == "no autoscaling hints\n")
        #expect(
            AutoscalingHintList(hints: [Fixtures.hints.hints[1]]).json.compactText == #"""
                {"hints":[{"model":"iris","version":"2","stable_concurrency":0.5,"panic_concurrency":12.0,"desired_replicas":3,"ready_replicas":1,"panic":true,"target_concurrency":4.0}]}
                """#)
    }

    @Test func healthTable() {
        #expect(
            Fixtures.health.table == """
                MODEL  VERSION   ENDPOINT             ADDRESS         STATE                                       OUTSTANDING  FAILURES
                iris   1         127.0.0.1:7001       127.0.0.1:7001  ready                                                 3         0
                iris   2         dns:///iris-v2:8001  10.1.2.3:8001   ejected until 2024-05-01 12:00:03Z (panic)            0         5
                iris   pipeline  127.0.0.1:7100       -               connecting                                            0         0

                """)
        #expect(EndpointStatusList(endpoints: []).table == "no endpoints\n")
    }

    @Test func utcTimes() {
        #expect(TimeFormatting.utc(unixMilliseconds: 0) == "-")
        #expect(TimeFormatting.utc(unixMilliseconds: 951_782_400_000) == "2000-02-29 00:00:00Z")
        #expect(TimeFormatting.utc(unixMilliseconds: -1000) == "1969-12-31 23:59:59Z")
        #expect(TimeFormatting.utc(unixMilliseconds: 4_102_444_799_999) == "2099-12-31 23:59:59Z")
    }
}
