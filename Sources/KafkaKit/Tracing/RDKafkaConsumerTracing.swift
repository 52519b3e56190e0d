import Tracing

/// A consumer's tracing (``KafkaConfiguration/tracing``), shared by ``KafkaConsumer`` and
/// ``KafkaPartitionConsumer``: `process` spans for consumed records. Made only when tracing is
/// on; consuming itself never looks at it.
final class RDKafkaConsumerTracing: Sendable {
    let options: KafkaTracingOptions
    let groupID: String?
    let clientID: String?

    init(options: KafkaTracingOptions, configuration: KafkaConfiguration) {
        self.options = options
        self.groupID = configuration.properties["group.id"]
        self.clientID = configuration.clientID
    }

    /// Starts the `process <topic>` span of `message` (kind `consumer`), parented as
    /// ``KafkaTracingOptions/processSpanParent`` says. The caller ends it.
    func startProcessSpan(for message: KafkaConsumerMessage) -> any Span {
        let instrument = options.tracer ?? InstrumentationSystem.instrument
        let tracer = options.tracer ?? InstrumentationSystem.tracer
        let current = ServiceContext.current ?? .topLevel
        let parent: ServiceContext
        var link: ServiceContext? = nil
        switch options.processSpanParent {
        case .producer:
            // Extracted over the current context: a record without trace headers leaves it as
            // it is, so its span is a child of the current span.
            var context = current
            instrument.extract(message, into: &context, using: KafkaConsumerMessageExtractor())
            parent = context
        case .currentWithLink:
            var context = ServiceContext.topLevel
            instrument.extract(message, into: &context, using: KafkaConsumerMessageExtractor())
            parent = current
            if !context.isEmpty { link = context }
        }
        let topic = message.topic
        let span = tracer.startSpan("\(KafkaMessagingAttributes.process) \(topic)", context: parent, ofKind: .consumer)
        if let link { span.addLink(SpanLink(context: link, attributes: [:])) }
        guard span.isRecording else { return span }
        span.updateAttributes { attributes in
            attributes.reserveCapacity(attributes.count + 10)
            attributes.set(KafkaMessagingAttributes.system, value: .string(KafkaMessagingAttributes.kafka))
            attributes.set(KafkaMessagingAttributes.operationType, value: .string(KafkaMessagingAttributes.process))
            attributes.set(KafkaMessagingAttributes.operationName, value: .string(KafkaMessagingAttributes.process))
            attributes.set(KafkaMessagingAttributes.destinationName, value: .string(topic))
            attributes.set(KafkaMessagingAttributes.partitionID, value: .string(String(message.partition)))
            attributes.set(KafkaMessagingAttributes.offset, value: .int64(Int64(message.offset)))
            if let groupID { attributes.set(KafkaMessagingAttributes.consumerGroup, value: .string(groupID)) }
            if let clientID { attributes.set(KafkaMessagingAttributes.clientID, value: .string(clientID)) }
            if options.recordsMessageKeys, let text = message.withUnsafeKey(KafkaMessagingAttributes.keyText) {
                attributes.set(KafkaMessagingAttributes.messageKey, value: .string(text))
            }
            if message.isTombstone {
                attributes.set(KafkaMessagingAttributes.tombstone, value: .bool(true))
            } else {
                attributes.set(KafkaMessagingAttributes.bodySize, value: .int64(Int64(message.withUnsafeValue { $0?.count ?? 0 })))
            }
        }
        return span
    }

    /// Runs `body` in the `process` span of `message`, the span's context bound as the
    /// current one; an error thrown is recorded on the span and rethrown.
    func withProcessSpan<T>(
        for message: KafkaConsumerMessage,
        isolation: isolated (any Actor)?,
        _ body: (any Span) async throws -> T
    ) async rethrows -> T {
        let span = startProcessSpan(for: message)
        defer { span.end() }
        do {
            return try await ServiceContext.$current.withValue(span.context, operation: { try await body(span) }, isolation: isolation)
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    /// The synchronous form of ``withProcessSpan(for:isolation:_:)``.
    func withProcessSpan<T>(for message: KafkaConsumerMessage, _ body: (any Span) throws -> T) rethrows -> T {
        let span = startProcessSpan(for: message)
        defer { span.end() }
        do {
            return try ServiceContext.$current.withValue(span.context) { try body(span) }
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    private static func fail(_ span: any Span, _ error: any Error) {
        span.attributes[KafkaMessagingAttributes.errorType] = (error as? KafkaError)?.code.name ?? String(describing: type(of: error))
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error))
    }

    /// What a consumer without tracing runs `body` in: a span that records nothing, carrying
    /// the current context.
    static var noOpSpan: any Span { NoOpTracer.NoOpSpan(context: ServiceContext.current ?? .topLevel) }
}
