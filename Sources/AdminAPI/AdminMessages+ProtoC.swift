// The only file of this module that touches protobuf-c structs.
// Several admin messages share one wire shape: GetRouteRequest, CanaryStatusRequest,
// AutoscalingHintsRequest and EndpointHealthRequest are all `string model = 1`, and
// SetRouteRequest and RouteResponse are both `model = 1, yaml = 2`; one Swift type and one
// generated codec serve each shape.
internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

typealias CVersionSummary = Inferencemesh__Admin__V1__VersionSummary
typealias CRouteSummary = Inferencemesh__Admin__V1__RouteSummary
typealias CCanaryTransition = Inferencemesh__Admin__V1__CanaryTransition
typealias CVersionMeasurement = Inferencemesh__Admin__V1__VersionMeasurement
typealias CCanaryStatus = Inferencemesh__Admin__V1__CanaryStatus
typealias CAutoscalingHint = Inferencemesh__Admin__V1__AutoscalingHint
typealias CEndpointStatus = Inferencemesh__Admin__V1__EndpointStatus

/// Builds a C array of pointers to arena-allocated structs, one per value.
private func pointerArray<Value, CStruct>(
    _ values: [Value], arena: CArena, _ fill: (Value, UnsafeMutablePointer<CStruct>) -> Void
) -> UnsafeMutablePointer<UnsafeMutablePointer<CStruct>?> {
    let array = arena.allocate(UnsafeMutablePointer<CStruct>?.self, count: values.count)
    for (index, value) in values.enumerated() {
        let element = arena.allocate(CStruct.self)
        fill(value, element)
        array[index] = element
    }
    return array
}

/// Reads a repeated message field.
private func values<CStruct, Value>(
    _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CStruct>?>?, count: Int, _ read: (CStruct) -> Value
) -> [Value] {
    guard let pointer else { return [] }
    return (0..<count).compactMap { index in pointer[index].map { read($0.pointee) } }
}

extension ModelSelector: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1 model request",
            unpack: inferencemesh__admin__v1__get_route_request__unpack
        ) { ModelSelector(model: ProtoCCodec.string($0.model)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__GetRouteRequest()
            inferencemesh__admin__v1__get_route_request__init(&message)
            message.model = arena.string(model)
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__get_route_request__get_packed_size,
                pack: inferencemesh__admin__v1__get_route_request__pack)
        }
    }
}

extension ListRoutesRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.ListRoutesRequest",
            unpack: inferencemesh__admin__v1__list_routes_request__unpack
        ) { _ in ListRoutesRequest() }
    }

    public func wireBytes() -> [UInt8] { [] }
}

extension RouteDocument: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1 route document",
            unpack: inferencemesh__admin__v1__route_response__unpack
        ) { RouteDocument(model: ProtoCCodec.string($0.model), yaml: ProtoCCodec.string($0.yaml)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__RouteResponse()
            inferencemesh__admin__v1__route_response__init(&message)
            message.model = arena.string(model)
            message.yaml = arena.string(yaml)
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__route_response__get_packed_size,
                pack: inferencemesh__admin__v1__route_response__pack)
        }
    }
}

extension RouteList: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.ListRoutesResponse",
            unpack: inferencemesh__admin__v1__list_routes_response__unpack
        ) { message in
            RouteList(
                routes: values(message.routes, count: message.n_routes) { route in
                    RouteSummary(
                        model: ProtoCCodec.string(route.model),
                        versions: values(route.versions, count: route.n_versions) { version in
                            VersionSummary(
                                version: ProtoCCodec.string(version.version),
                                workerModel: ProtoCCodec.string(version.worker_model),
                                endpoints: ProtoCCodec.strings(version.endpoints, count: version.n_endpoints),
                                weight: version.weight)
                        },
                        pipeline: ProtoCCodec.string(route.pipeline),
                        canaryPhase: ProtoCCodec.string(route.canary_phase))
                },
                yaml: ProtoCCodec.string(message.yaml))
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__ListRoutesResponse()
            inferencemesh__admin__v1__list_routes_response__init(&message)
            message.n_routes = routes.count
            message.routes = pointerArray(routes, arena: arena) { (route, pointer: UnsafeMutablePointer<CRouteSummary>) in
                inferencemesh__admin__v1__route_summary__init(pointer)
                pointer.pointee.model = arena.string(route.model)
                pointer.pointee.pipeline = arena.string(route.pipeline)
                pointer.pointee.canary_phase = arena.string(route.canaryPhase)
                pointer.pointee.n_versions = route.versions.count
                pointer.pointee.versions = pointerArray(route.versions, arena: arena) {
                    (version, element: UnsafeMutablePointer<CVersionSummary>) in
                    inferencemesh__admin__v1__version_summary__init(element)
                    element.pointee.version = arena.string(version.version)
                    element.pointee.worker_model = arena.string(version.workerModel)
                    element.pointee.n_endpoints = version.endpoints.count
                    element.pointee.endpoints = arena.strings(version.endpoints)
                    element.pointee.weight = version.weight
                }
            }
            message.yaml = arena.string(yaml)
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__list_routes_response__get_packed_size,
                pack: inferencemesh__admin__v1__list_routes_response__pack)
        }
    }
}

extension CanaryActionRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.CanaryActionRequest",
            unpack: inferencemesh__admin__v1__canary_action_request__unpack
        ) { message in
            CanaryActionRequest(
                model: ProtoCCodec.string(message.model),
                action: Action(rawValue: Int32(message.action.rawValue)) ?? .unspecified,
                weight: message.weight)
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__CanaryActionRequest()
            inferencemesh__admin__v1__canary_action_request__init(&message)
            message.model = arena.string(model)
            message.action = Inferencemesh__Admin__V1__CanaryActionRequest__Action(rawValue: numericCast(action.rawValue))
            message.weight = weight
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__canary_action_request__get_packed_size,
                pack: inferencemesh__admin__v1__canary_action_request__pack)
        }
    }
}

extension VersionMeasurement {
    init(_ message: CVersionMeasurement?) {
        guard let message else {
            self.init(version: "")
            return
        }
        self.init(
            version: ProtoCCodec.string(message.version), calls: message.calls, errors: message.errors,
            p50Milliseconds: message.p50_ms, p99Milliseconds: message.p99_ms)
    }

    func fill(_ pointer: UnsafeMutablePointer<CVersionMeasurement>, arena: CArena) {
        inferencemesh__admin__v1__version_measurement__init(pointer)
        pointer.pointee.version = arena.string(version)
        pointer.pointee.calls = calls
        pointer.pointee.errors = errors
        pointer.pointee.p50_ms = p50Milliseconds
        pointer.pointee.p99_ms = p99Milliseconds
    }
}

extension CanaryStatus {
    init(_ message: CCanaryStatus) {
        self.init(
            model: ProtoCCodec.string(message.model), stable: ProtoCCodec.string(message.stable),
            candidate: ProtoCCodec.string(message.candidate), phase: ProtoCCodec.string(message.phase),
            weight: message.weight, stepIndex: message.step_index,
            steps: ProtoCCodec.array(message.steps, count: message.n_steps),
            stepStartedUnixMilliseconds: message.step_started_unix_ms,
            stableMeasurement: VersionMeasurement(message.stable_measurement?.pointee),
            candidateMeasurement: VersionMeasurement(message.candidate_measurement?.pointee),
            history: values(message.history, count: message.n_history) { transition in
                CanaryTransition(
                    atUnixMilliseconds: transition.at_unix_ms, phase: ProtoCCodec.string(transition.phase),
                    weight: transition.weight, reason: ProtoCCodec.string(transition.reason))
            },
            lastDecision: ProtoCCodec.string(message.last_decision), leader: ProtoCCodec.string(message.leader),
            coordination: ProtoCCodec.string(message.coordination))
    }

    func fill(_ pointer: UnsafeMutablePointer<CCanaryStatus>, arena: CArena) {
        inferencemesh__admin__v1__canary_status__init(pointer)
        pointer.pointee.model = arena.string(model)
        pointer.pointee.stable = arena.string(stable)
        pointer.pointee.candidate = arena.string(candidate)
        pointer.pointee.phase = arena.string(phase)
        pointer.pointee.weight = weight
        pointer.pointee.step_index = stepIndex
        pointer.pointee.n_steps = steps.count
        pointer.pointee.steps = arena.copy(steps)
        pointer.pointee.step_started_unix_ms = stepStartedUnixMilliseconds
        let stableMeasurementPointer = arena.allocate(CVersionMeasurement.self)
        stableMeasurement.fill(stableMeasurementPointer, arena: arena)
        pointer.pointee.stable_measurement = stableMeasurementPointer
        let candidateMeasurementPointer = arena.allocate(CVersionMeasurement.self)
        candidateMeasurement.fill(candidateMeasurementPointer, arena: arena)
        pointer.pointee.candidate_measurement = candidateMeasurementPointer
        pointer.pointee.n_history = history.count
        pointer.pointee.history = pointerArray(history, arena: arena) {
            (transition, element: UnsafeMutablePointer<CCanaryTransition>) in
            inferencemesh__admin__v1__canary_transition__init(element)
            element.pointee.at_unix_ms = transition.atUnixMilliseconds
            element.pointee.phase = arena.string(transition.phase)
            element.pointee.weight = transition.weight
            element.pointee.reason = arena.string(transition.reason)
        }
        pointer.pointee.last_decision = arena.string(lastDecision)
        pointer.pointee.leader = arena.string(leader)
        pointer.pointee.coordination = arena.string(coordination)
    }
}

extension CanaryStatus: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.CanaryStatus",
            unpack: inferencemesh__admin__v1__canary_status__unpack
        ) { CanaryStatus($0) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            let message = arena.allocate(CCanaryStatus.self)
            fill(message, arena: arena)
            return ProtoCMessage.pack(
                &message.pointee, size: inferencemesh__admin__v1__canary_status__get_packed_size,
                pack: inferencemesh__admin__v1__canary_status__pack)
        }
    }
}

extension CanaryStatusList: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.CanaryStatusResponse",
            unpack: inferencemesh__admin__v1__canary_status_response__unpack
        ) { message in CanaryStatusList(canaries: values(message.canaries, count: message.n_canaries) { CanaryStatus($0) }) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__CanaryStatusResponse()
            inferencemesh__admin__v1__canary_status_response__init(&message)
            message.n_canaries = canaries.count
            message.canaries = pointerArray(canaries, arena: arena) { (status, element: UnsafeMutablePointer<CCanaryStatus>) in
                status.fill(element, arena: arena)
            }
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__canary_status_response__get_packed_size,
                pack: inferencemesh__admin__v1__canary_status_response__pack)
        }
    }
}

extension AutoscalingHintList: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.AutoscalingHintsResponse",
            unpack: inferencemesh__admin__v1__autoscaling_hints_response__unpack
        ) { message in
            AutoscalingHintList(
                hints: values(message.hints, count: message.n_hints) { hint in
                    AutoscalingHint(
                        model: ProtoCCodec.string(hint.model), version: ProtoCCodec.string(hint.version),
                        stableConcurrency: hint.stable_concurrency, panicConcurrency: hint.panic_concurrency,
                        desiredReplicas: hint.desired_replicas, readyReplicas: hint.ready_replicas,
                        panic: hint.panic != 0, targetConcurrency: hint.target_concurrency)
                })
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__AutoscalingHintsResponse()
            inferencemesh__admin__v1__autoscaling_hints_response__init(&message)
            message.n_hints = hints.count
            message.hints = pointerArray(hints, arena: arena) { (hint, element: UnsafeMutablePointer<CAutoscalingHint>) in
                inferencemesh__admin__v1__autoscaling_hint__init(element)
                element.pointee.model = arena.string(hint.model)
                element.pointee.version = arena.string(hint.version)
                element.pointee.stable_concurrency = hint.stableConcurrency
                element.pointee.panic_concurrency = hint.panicConcurrency
                element.pointee.desired_replicas = hint.desiredReplicas
                element.pointee.ready_replicas = hint.readyReplicas
                element.pointee.panic = hint.panic ? 1 : 0
                element.pointee.target_concurrency = hint.targetConcurrency
            }
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__autoscaling_hints_response__get_packed_size,
                pack: inferencemesh__admin__v1__autoscaling_hints_response__pack)
        }
    }
}

extension EndpointStatusList: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inferencemesh.admin.v1.EndpointHealthResponse",
            unpack: inferencemesh__admin__v1__endpoint_health_response__unpack
        ) { message in
            EndpointStatusList(
                endpoints: values(message.endpoints, count: message.n_endpoints) { status in
                    EndpointStatus(
                        model: ProtoCCodec.string(status.model), version: ProtoCCodec.string(status.version),
                        endpoint: ProtoCCodec.string(status.endpoint), address: ProtoCCodec.string(status.address),
                        state: ProtoCCodec.string(status.state), outstanding: status.outstanding,
                        consecutiveFailures: status.consecutive_failures,
                        ejectedUntilUnixMilliseconds: status.ejected_until_unix_ms, panic: status.panic != 0)
                })
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inferencemesh__Admin__V1__EndpointHealthResponse()
            inferencemesh__admin__v1__endpoint_health_response__init(&message)
            message.n_endpoints = endpoints.count
            message.endpoints = pointerArray(endpoints, arena: arena) {
                (status, element: UnsafeMutablePointer<CEndpointStatus>) in
                inferencemesh__admin__v1__endpoint_status__init(element)
                element.pointee.model = arena.string(status.model)
                element.pointee.version = arena.string(status.version)
                element.pointee.endpoint = arena.string(status.endpoint)
                element.pointee.address = arena.string(status.address)
                element.pointee.state = arena.string(status.state)
                element.pointee.outstanding = status.outstanding
                element.pointee.consecutive_failures = status.consecutiveFailures
                element.pointee.ejected_until_unix_ms = status.ejectedUntilUnixMilliseconds
                element.pointee.panic = status.panic ? 1 : 0
            }
            return ProtoCMessage.pack(
                &message, size: inferencemesh__admin__v1__endpoint_health_response__get_packed_size,
                pack: inferencemesh__admin__v1__endpoint_health_response__pack)
        }
    }
}
