public import Tracing

/// Turns on swift-distributed-tracing for a client (``KafkaConfiguration/tracing``): trace
/// context in record headers, a span per produced record, a span per processed record.
///
/// Tracing is off unless ``KafkaConfiguration/tracing`` is set; then a producer injects the
/// sending task's `ServiceContext` into each record's headers (in the format the instrument
/// chooses: W3C `traceparent`/`tracestate` with an OpenTelemetry tracer) and, by default,
/// starts a `send <topic>` span that the record's delivery report ends. A consumer's
/// ``KafkaConsumer/withSpan(for:isolation:_:)`` runs a `process <topic>` span for a record,
/// as a child of (or linked to) the span that produced it. See <doc:Tracing>.
///
/// ```swift
/// var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
/// configuration.tracing = KafkaTracingOptions()   // the bootstrapped tracer
/// ```
public struct KafkaTracingOptions: Sendable, Hashable {
    /// The tracer to use, or `nil` (the default) for the one in effect where each record is
    /// sent or processed: the innermost `withTracer(_:_:)` scope's, else the one given to
    /// `InstrumentationSystem.bootstrap(_:)` (none bootstrapped: nothing is traced).
    public var tracer: (any Tracer)? {
        get { tracerBox?.tracer }
        set { tracerBox = newValue.map(TracerBox.init) }
    }

    /// Whether the producer starts a `send <topic>` span (kind `producer`) for each record,
    /// ended by its delivery report, and injects that span's context. When `false`, the
    /// sending task's current context is injected as it is, and no span is made.
    public var createsSendSpans: Bool

    /// Whether spans carry the record key as `messaging.kafka.message.key` (only keys that are
    /// UTF-8 text). Turn it off when keys are personal data.
    public var recordsMessageKeys: Bool

    /// How a consumer's `process` span relates to the context that came with the record.
    public var processSpanParent: ProcessSpanParent

    /// How a `process` span relates to the producer's context.
    public enum ProcessSpanParent: Sendable, Hashable {
        /// A child of the producer's span (one trace across the Kafka hop); a record without
        /// trace headers gets a child of the processing task's current span, if any.
        case producer
        /// A child of the processing task's current context, with a link to the producer's
        /// span (OpenTelemetry's choice when a record is one of many in a batch).
        case currentWithLink
    }

    /// Options for tracing; by default the tracer in effect, a send span per record, keys
    /// recorded, and process spans as children of the producer's.
    public init(
        tracer: (any Tracer)? = nil,
        createsSendSpans: Bool = true,
        recordsMessageKeys: Bool = true,
        processSpanParent: ProcessSpanParent = .producer
    ) {
        self.tracerBox = tracer.map(TracerBox.init)
        self.createsSendSpans = createsSendSpans
        self.recordsMessageKeys = recordsMessageKeys
        self.processSpanParent = processSpanParent
    }

    /// Holds a given tracer. Tracers are not `Hashable`, so options compare the box: copies of
    /// one set of options are equal, options given the tracer separately are not (which keeps
    /// a cache of clients by configuration, such as the connection registry's, from sharing a
    /// client between two tracers).
    private var tracerBox: TracerBox?

    private final class TracerBox: Sendable, Hashable {
        let tracer: any Tracer
        init(_ tracer: any Tracer) { self.tracer = tracer }
        static func == (lhs: TracerBox, rhs: TracerBox) -> Bool { lhs === rhs }
        func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
    }
}
