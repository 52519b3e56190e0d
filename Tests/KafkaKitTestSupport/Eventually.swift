/// Looks at `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
/// For what librdkafka updates on its own schedule (statistics, metrics fed from them): the
/// test then asserts the result, and waiting longer only makes a slow machine pass.
public func eventually(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(Int64(seconds * TestBroker.deadlineScale * 1000))
    while true {
        if try condition() { return true }
        if clock.now >= end { return false }
        try? await Task.sleep(for: .milliseconds(50))
    }
}
