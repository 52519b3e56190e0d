import Synchronization
public import Tracing

/// A real tracer for tests: W3C Trace Context propagation (`traceparent`, `tracestate`) and
/// every span kept in memory, so that a test can follow a trace across a Kafka hop.
///
/// Not a fake of Kafka: it implements swift-distributed-tracing's `Tracer` the way an
/// OpenTelemetry tracer does, with random trace and span IDs.
public final class W3CTestTracer: Tracer, Sendable {
    /// The identity of a span, as W3C Trace Context carries it.
    public struct SpanContext: Sendable, Hashable {
        /// 32 lower-case hex digits.
        public var traceID: String
        /// 16 lower-case hex digits.
        public var spanID: String
        /// The `tracestate` that came with it, if any.
        public var traceState: String?
        /// Whether it was extracted from a carrier rather than started here.
        public var isRemote: Bool

        /// The `traceparent` header value (version 00, sampled).
        public var traceparent: String { "00-\(traceID)-\(spanID)-01" }

        /// Parses a `traceparent` value; `nil` if it is not one.
        public init?(traceparent: String, traceState: String? = nil) {
            let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0] == "00", parts[3].count == 2,
                  parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit), parts[1] != Substring(repeating: "0", count: 32),
                  parts[2].count == 16, parts[2].allSatisfy(\.isHexDigit), parts[2] != Substring(repeating: "0", count: 16)
            else { return nil }
            self.init(traceID: String(parts[1]), spanID: String(parts[2]), traceState: traceState, isRemote: true)
        }

        public init(traceID: String, spanID: String, traceState: String? = nil, isRemote: Bool = false) {
            self.traceID = traceID
            self.spanID = spanID
            self.traceState = traceState
            self.isRemote = isRemote
        }
    }

    /// A span that has ended.
    public struct FinishedSpan: Sendable {
        public var operationName: String
        public var kind: SpanKind
        public var context: SpanContext
        /// The span ID of the parent, `nil` for a root span.
        public var parentSpanID: String?
        public var attributes: SpanAttributes
        public var links: [SpanContext]
        public var errors: [String]
        public var status: SpanStatus?
    }

    private struct State {
        var finished: [FinishedSpan] = []
        var active = 0
        var endedAgain = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The spans ended so far, in the order they ended.
    public var finishedSpans: [FinishedSpan] { state.withLock { $0.finished } }

    /// Spans started and not yet ended.
    public var activeSpanCount: Int { state.withLock { $0.active } }

    /// How many times a span already ended was ended again (a span must end once).
    public var repeatedEnds: Int { state.withLock { $0.endedAgain } }

    // MARK: Tracer

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> TestSpan {
        var context = context()
        let parent = context.w3cSpanContext
        let own = SpanContext(
            traceID: parent?.traceID ?? Self.hex(bytes: 16), spanID: Self.hex(bytes: 8), traceState: parent?.traceState)
        context.w3cSpanContext = own
        state.withLock { $0.active += 1 }
        return TestSpan(operationName: operationName, kind: kind, context: context, spanContext: own, parentSpanID: parent?.spanID) { [weak self] span in
            self?.state.withLock { state in
                guard let span else { return state.endedAgain += 1 }
                state.active -= 1
                state.finished.append(span)
            }
        }
    }

    public func forceFlush() {}

    // MARK: Instrument

    public func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let span = context.w3cSpanContext else { return }
        injector.inject(span.traceparent, forKey: "traceparent", into: &carrier)
        if let traceState = span.traceState { injector.inject(traceState, forKey: "tracestate", into: &carrier) }
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let traceparent = extractor.extract(key: "traceparent", from: carrier),
              let span = SpanContext(traceparent: traceparent, traceState: extractor.extract(key: "tracestate", from: carrier))
        else { return }
        context.w3cSpanContext = span
    }

    static func hex(bytes: Int) -> String {
        var text = ""
        while text.count < bytes * 2 {
            let word = UInt64.random(in: 1...UInt64.max)
            let digits = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return String(text.prefix(bytes * 2))
    }
}

/// A span of ``W3CTestTracer``.
public final class TestSpan: Span, Sendable {
    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var links: [W3CTestTracer.SpanContext] = []
        var errors: [String] = []
        var status: SpanStatus?
        var ended = false
    }

    public let context: ServiceContext
    public let spanContext: W3CTestTracer.SpanContext
    public let kind: SpanKind
    public let parentSpanID: String?
    private let state: Mutex<State>
    private let onEnd: @Sendable (W3CTestTracer.FinishedSpan?) -> Void

    init(
        operationName: String, kind: SpanKind, context: ServiceContext, spanContext: W3CTestTracer.SpanContext,
        parentSpanID: String?, onEnd: @escaping @Sendable (W3CTestTracer.FinishedSpan?) -> Void
    ) {
        self.state = Mutex(State(operationName: operationName))
        self.kind = kind
        self.context = context
        self.spanContext = spanContext
        self.parentSpanID = parentSpanID
        self.onEnd = onEnd
    }

    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    public var isRecording: Bool { state.withLock { !$0.ended } }

    public func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }

    public func addEvent(_ event: SpanEvent) {}

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        state.withLock { $0.errors.append(String(describing: error)) }
    }

    public func addLink(_ link: SpanLink) {
        guard let other = link.context.w3cSpanContext else { return }
        state.withLock { $0.links.append(other) }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let finished: W3CTestTracer.FinishedSpan? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return W3CTestTracer.FinishedSpan(
                operationName: state.operationName, kind: kind, context: spanContext, parentSpanID: parentSpanID,
                attributes: state.attributes, links: state.links, errors: state.errors, status: state.status)
        }
        onEnd(finished)  // nil: ended again
    }
}

private enum W3CSpanContextKey: ServiceContextKey {
    typealias Value = W3CTestTracer.SpanContext
    static var nameOverride: String? { "w3c-span-context" }
}

extension ServiceContext {
    /// The span identity ``W3CTestTracer`` keeps in a context.
    public var w3cSpanContext: W3CTestTracer.SpanContext? {
        get { self[W3CSpanContextKey.self] }
        set { self[W3CSpanContextKey.self] = newValue }
    }
}
