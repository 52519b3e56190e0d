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

/// About the least a real tracer does per span: fresh IDs (splitmix64, as fast tracers use, not
/// a system call), the parent's trace, the W3C `traceparent` formatted once per span and injected
/// as is, attributes kept under a lock; ended spans are counted, not exported.
final class BenchTracer: Tracer, Sendable {
    struct Identity: Sendable {
        var traceHigh: UInt64
        var traceLow: UInt64
        var span: UInt64
        var traceparent: String
    }

    private enum IdentityKey: ServiceContextKey { typealias Value = Identity }

    let ended = Atomic<Int>(0)
    private let seed = Atomic<UInt64>(UInt64.random(in: 1...(.max)))

    private func nextID() -> UInt64 {
        var z = seed.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) | 1
    }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> BenchSpan {
        var context = context()
        let parent = context[IdentityKey.self]
        let high = parent?.traceHigh ?? nextID()
        let low = parent?.traceLow ?? nextID()
        let span = nextID()
        context[IdentityKey.self] = Identity(traceHigh: high, traceLow: low, span: span, traceparent: Self.traceparent(high, low, span))
        return BenchSpan(operationName: operationName, context: context, tracer: self)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let identity = context[IdentityKey.self] else { return }
        injector.inject(identity.traceparent, forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {}

    /// `00-<32 hex>-<16 hex>-01`, written in place.
    private static func traceparent(_ high: UInt64, _ low: UInt64, _ span: UInt64) -> String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            let digits = Array("0123456789abcdef".utf8)
            var i = 0
            func put(_ byte: UInt8) { buffer[i] = byte; i += 1 }
            func hex(_ value: UInt64) { for shift in stride(from: 60, through: 0, by: -4) { put(digits[Int((value >> UInt64(shift)) & 0xF)]) } }
            put(0x30); put(0x30); put(0x2D)
            hex(high); hex(low); put(0x2D)
            hex(span); put(0x2D); put(0x30); put(0x31)
            return i
        }
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
