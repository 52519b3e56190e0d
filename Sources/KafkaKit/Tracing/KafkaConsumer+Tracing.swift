public import Tracing

extension KafkaConsumer {
    /// Runs `body` for a consumed record inside its `process <topic>` span (kind `consumer`,
    /// OpenTelemetry's messaging attributes, consumer group included), with the span's
    /// context as the current one — so that records produced in `body` continue the trace.
    ///
    /// The span is a child of the span that produced the record, or linked to it (see
    /// ``KafkaTracingOptions/processSpanParent``). An error thrown by `body` is recorded on the
    /// span, which then ends, and rethrown. With tracing off (``KafkaConfiguration/tracing``
    /// `nil`) `body` runs at once with a span that records nothing.
    ///
    /// ```swift
    /// for await message in consumer.messages {
    ///     try await consumer.withSpan(for: message) { span in
    ///         try await handle(message)
    ///     }
    /// }
    /// ```
    public func withSpan<T>(
        for message: KafkaConsumerMessage,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (any Span) async throws -> T
    ) async rethrows -> T {
        guard let tracing else { return try await body(RDKafkaConsumerTracing.noOpSpan) }
        return try await tracing.withProcessSpan(for: message, isolation: isolation, body)
    }

    /// Runs synchronous `body` for a consumed record inside its `process` span; see
    /// ``withSpan(for:isolation:_:)``.
    public func withSpan<T>(for message: KafkaConsumerMessage, _ body: (any Span) throws -> T) rethrows -> T {
        guard let tracing else { return try body(RDKafkaConsumerTracing.noOpSpan) }
        return try tracing.withProcessSpan(for: message, body)
    }
}
