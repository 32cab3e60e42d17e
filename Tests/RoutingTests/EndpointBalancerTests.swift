import Testing

@testable import Routing

@Suite struct EndpointBalancerTests {
    @Test func prefersTheLessLoadedEndpoint() {
        let balancer = EndpointBalancer(endpoints: ["a", "b"], clock: ManualRoutingClock())
        var generator = SplitMix64(seed: 7)
        for _ in 0..<10 { _ = balancer.begin(random: &generator) }
        // With two endpoints both are always compared, so load stays even.
        let loads = balancer.statuses().map(\.outstanding)
        #expect(loads == [5, 5])
        balancer.end("a", outcome: .success)
        balancer.end("a", outcome: .success)
        for _ in 0..<2 { #expect(balancer.begin(random: &generator)?.endpoint == "a") }
    }

    @Test func spreadsOverManyEndpoints() {
        let endpoints = (0..<8).map { "e\($0)" }
        let balancer = EndpointBalancer(endpoints: endpoints, clock: ManualRoutingClock())
        var generator = SplitMix64(seed: 3)
        for _ in 0..<800 { _ = balancer.begin(random: &generator) }
        let loads = balancer.statuses().map(\.outstanding)
        // Two choices keep the most loaded within a few calls of the mean of 100.
        #expect(loads.max()! - loads.min()! <= 4, "\(loads)")
    }

    @Test func ejectsAfterConsecutiveFailuresAndReadmits() {
        let clock = ManualRoutingClock()
        let configuration = EndpointBalancerConfiguration(
            consecutiveFailuresToEject: 5,
            baseEjectionTime: .seconds(10), maxEjectionTime: .seconds(25))
        // Three endpoints, so the 50% cap lets one be ejected.
        let balancer = EndpointBalancer(endpoints: ["a", "b", "c"], configuration: configuration, clock: clock)
        var generator = SplitMix64(seed: 1)
        func failA(_ times: Int) {
            for _ in 0..<times { balancer.end("a", outcome: .failure) }
        }
        failA(4)
        balancer.end("a", outcome: .success)  // A success breaks the run.
        failA(4)
        #expect(balancer.statuses()[0].ejectedFor == nil)
        failA(1)
        #expect(balancer.statuses()[0].ejectedFor == .seconds(10))
        for _ in 0..<20 { #expect(balancer.begin(excluding: ["c"], random: &generator) == .init(endpoint: "b", panic: false)) }

        clock.advance(by: .seconds(10))
        #expect(balancer.begin(excluding: ["b", "c"], random: &generator) == .init(endpoint: "a", panic: false))
        // Ejected again soon after: twice as long, then capped.
        failA(5)
        #expect(balancer.statuses()[0].ejectedFor == .seconds(20))
        clock.advance(by: .seconds(20))
        #expect(balancer.begin(excluding: ["b", "c"], random: &generator) == .init(endpoint: "a", panic: false))
        failA(5)
        #expect(balancer.statuses()[0].ejectedFor == .seconds(25))
        // After staying in for the longest ejection time, it starts again from the base time.
        clock.advance(by: .seconds(25))
        #expect(balancer.begin(excluding: ["b", "c"], random: &generator) == .init(endpoint: "a", panic: false))
        clock.advance(by: .seconds(25))
        failA(5)
        #expect(balancer.statuses()[0].ejectedFor == .seconds(10))
        // Ignored outcomes neither count nor reset the run.
        #expect(balancer.statuses()[1].consecutiveFailures == 0)
        balancer.end("b", outcome: .failure)
        balancer.end("b", outcome: .ignored)
        #expect(balancer.statuses()[1].consecutiveFailures == 1)
    }

    @Test func panicRoutesWhenNothingIsUsable() {
        let clock = ManualRoutingClock()
        let balancer = EndpointBalancer(
            endpoints: ["a", "b"],
            configuration: .init(consecutiveFailuresToEject: 1), clock: clock)
        var generator = SplitMix64(seed: 1)
        balancer.setReady("a", false)
        balancer.end("b", outcome: .failure)
        #expect(balancer.statuses()[1].ejectedFor != nil)
        // Nothing usable: the ejected replica that passes health checks takes the calls.
        for _ in 0..<5 { #expect(balancer.begin(random: &generator) == .init(endpoint: "b", panic: true)) }
        #expect(balancer.statuses().allSatisfy { $0.panic })
        // Not even that: any replica, as a last resort.
        balancer.setReady("b", false)
        #expect(balancer.begin(excluding: ["b"], random: &generator) == .init(endpoint: "a", panic: true))
        balancer.setReady("a", true)
        #expect(balancer.begin(random: &generator) == .init(endpoint: "a", panic: false))
        #expect(!balancer.statuses().contains { $0.panic })
        #expect(
            balancer.takeTransitions().map(\.kind) == [.notServing, .ejected, .panicStarted, .notServing, .serving, .panicEnded])
        // Nil only when every replica was tried by this call, or there are none.
        #expect(balancer.begin(excluding: ["a", "b"], random: &generator) == nil)
        #expect(EndpointBalancer<String>(endpoints: [], clock: clock).begin(random: &generator) == nil)
        let unchecked = EndpointBalancer(endpoints: ["c"], initiallyReady: false, clock: clock)
        #expect(unchecked.begin(random: &generator) == .init(endpoint: "c", panic: true))
    }

    @Test func neverEjectsMoreThanTheCapAndAlwaysKeepsOne() {
        let clock = ManualRoutingClock()
        func failAll(_ balancer: EndpointBalancer<String>, _ endpoints: [String]) {
            for endpoint in endpoints { balancer.end(endpoint, outcome: .failure) }
        }
        // One replica: never ejected, whatever it answers.
        let single = EndpointBalancer(endpoints: ["a"], configuration: .init(consecutiveFailuresToEject: 1), clock: clock)
        failAll(single, ["a", "a", "a"])
        #expect(single.statuses()[0].ejectedFor == nil)
        #expect(single.takeTransitions().map(\.kind) == [.ejectionCapped])
        // Four replicas at the default 50%: two may be out at once.
        let four = EndpointBalancer(
            endpoints: ["a", "b", "c", "d"], configuration: .init(consecutiveFailuresToEject: 1), clock: clock)
        failAll(four, ["a", "b", "c", "d"])
        #expect(four.statuses().map { $0.ejectedFor != nil } == [true, true, false, false])
        // Once an ejection ends, a replica still failing may take its place.
        clock.advance(by: .seconds(30))
        var generator = SplitMix64(seed: 2)
        for _ in 0..<8 { _ = four.begin(random: &generator) }
        failAll(four, ["c"])
        #expect(four.statuses().map { $0.ejectedFor != nil } == [false, false, true, false])
        // 0% turns ejection off.
        let none = EndpointBalancer(
            endpoints: ["a", "b"], configuration: .init(consecutiveFailuresToEject: 1, maxEjectionPercent: 0), clock: clock)
        failAll(none, ["a", "b"])
        #expect(none.statuses().allSatisfy { $0.ejectedFor == nil })
    }

    @Test func unreachableTakesAReplicaOutWithoutCountingAFailure() {
        let balancer = EndpointBalancer(
            endpoints: ["a", "b"],
            configuration: .init(consecutiveFailuresToEject: 2), clock: ManualRoutingClock())
        var generator = SplitMix64(seed: 4)
        balancer.end("a", outcome: .failure)
        for _ in 0..<5 { balancer.end("a", outcome: .unreachable) }
        let a = balancer.statuses()[0]
        #expect(!a.ready && a.ejectedFor == nil && a.consecutiveFailures == 1)
        for _ in 0..<10 { #expect(balancer.begin(random: &generator)?.endpoint == "b") }
        // Seen serving again: back with a clean record.
        balancer.setReady("a", true)
        #expect(balancer.statuses()[0].consecutiveFailures == 0)
        #expect(balancer.takeTransitions().map(\.kind) == [.unreachable, .serving])
    }

    @Test func reconnectedReplicaStartsWithACleanRecord() {
        let balancer = EndpointBalancer(
            endpoints: ["a", "b", "c"],
            configuration: .init(consecutiveFailuresToEject: 1), clock: ManualRoutingClock())
        balancer.end("a", outcome: .failure)
        #expect(balancer.statuses()[0].ejectedFor != nil)
        // A probe on the same connection does not undo an ejection earned while serving...
        balancer.setReady("a", true)
        #expect(balancer.statuses()[0].ejectedFor != nil)
        // ...but one on a new connection (a restarted process) does.
        balancer.setReady("a", true, reconnected: true)
        let a = balancer.statuses()[0]
        #expect(a.ejectedFor == nil && a.consecutiveFailures == 0 && a.ejectionLevel == 0 && a.ready)
        #expect(balancer.takeTransitions().map(\.kind) == [.ejected, .serving])
    }

    @Test func newEndpointSetKeepsKnownState() {
        let balancer = EndpointBalancer(endpoints: ["a", "b"], clock: ManualRoutingClock())
        balancer.setReady("b", false)
        balancer.setEndpoints(["b", "c", "c"])
        let statuses = balancer.statuses()
        #expect(statuses.map(\.endpoint) == ["b", "c"])
        #expect(statuses.map(\.ready) == [false, true])
        balancer.end("a", outcome: .failure)  // A call that ends after its endpoint left is ignored.
    }
}

@Suite struct RetryBudgetTests {
    @Test func allowsARatioOfCallsPlusAMinimumPerSecond() {
        let clock = ManualRoutingClock()
        let budget = RetryBudget(
            configuration: .init(ratio: 0.2, minRetriesPerSecond: 2, window: .seconds(10)),
            clock: clock)
        // A quiet service still gets the minimum each second.
        #expect(budget.tryRetry() && budget.tryRetry())
        #expect(!budget.tryRetry())
        clock.advance(by: .seconds(1))
        #expect(budget.tryRetry())
        // 100 calls earn 20 retries in the window, of which 3 are used.
        for _ in 0..<100 { budget.recordCall() }
        var granted = 0
        while budget.tryRetry() { granted += 1 }
        #expect(granted == 17)  // Retries under the ratio count against this second's minimum too.
        clock.advance(by: .seconds(1))
        #expect(budget.tryRetry() && budget.tryRetry() && !budget.tryRetry())
        // Once the calls leave the window, only the minimum remains.
        clock.advance(by: .seconds(10))
        for _ in 0..<10 { budget.recordCall() }
        #expect(budget.tryRetry() && budget.tryRetry())
        #expect(!budget.tryRetry())
    }
}
