// BENCH_TRACING=off|context|spans: the producer benchmark with KafkaKit's tracing
// (KafkaConfiguration.tracing) off — the default, the code path of every other run — or on,
// with a minimal W3C tracer: `context` injects the sending span's traceparent into each
// record, `spans` also starts a send span per record, ended by its delivery report. With
// tracing on the send loop runs inside one span, as a request handler's sends would.
import Foundation
import Synchronization
import Tracing
import KafkaKit

enum BenchTracing: String {
    case off, context, spans

    static let current: BenchTracing = {
        guard let text = ProcessInfo.processInfo.environment["BENCH_TRACING"], !text.isEmpty else { return .off }
        guard let mode = BenchTracing(rawValue: text) else {
            FileHandle.standardError.write(Data("BENCH_TRACING must be off, context or spans (got '\(text)')\n".utf8))
            exit(2)
        }
        return mode
    }()

    static let tracer = BenchTracer()

    /// What the configuration's `tracing` is set to.
    var options: KafkaTracingOptions? {
        switch self {
        case .off: nil
        case .context: KafkaTracingOptions(tracer: Self.tracer, createsSendSpans: false)
        case .spans: KafkaTracingOptions(tracer: Self.tracer)
        }
    }

    /// Runs `body` as it is (off), or inside a span of the bench tracer.
    func run(_ body: () async throws -> Void) async throws {
        guard self != .off else { return try await body() }
        let span = Self.tracer.startSpan("bench", ofKind: .server)
        defer { span.end() }
        try await ServiceContext.withValue(span.context) { try await body() }
    }
}

/// The least a real tracer does per span: random IDs, the parent's trace, attributes kept
/// under a lock, W3C `traceparent` injection; ended spans are counted, not exported.
final class BenchTracer: Tracer, Sendable {
    struct Identity: Sendable {
        var traceHigh: UInt64
        var traceLow: UInt64
        var span: UInt64
    }

    private enum IdentityKey: ServiceContextKey { typealias Value = Identity }

    let ended = Atomic<Int>(0)

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> BenchSpan {
        var context = context()
        let parent = context[IdentityKey.self]
        let identity = Identity(
            traceHigh: parent?.traceHigh ?? .random(in: 1...(.max)), traceLow: parent?.traceLow ?? .random(in: 1...(.max)),
            span: .random(in: 1...(.max)))
        context[IdentityKey.self] = identity
        return BenchSpan(operationName: operationName, context: context, tracer: self)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let identity = context[IdentityKey.self] else { return }
        injector.inject("00-\(hex(identity.traceHigh))\(hex(identity.traceLow))-\(hex(identity.span))-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {}

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

final class BenchSpan: Span, Sendable {
    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
    }

    let context: ServiceContext
    private let state: Mutex<State>
    private let tracer: BenchTracer

    init(operationName: String, context: ServiceContext, tracer: BenchTracer) {
        self.context = context
        self.state = Mutex(State(operationName: operationName))
        self.tracer = tracer
    }

    var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    var isRecording: Bool { true }
    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    func addEvent(_ event: SpanEvent) {}
    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {}
    func addLink(_ link: SpanLink) {}
    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) { tracer.ended.add(1, ordering: .relaxed) }
}
