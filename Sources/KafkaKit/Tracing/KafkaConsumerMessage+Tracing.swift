public import Tracing

extension KafkaConsumerMessage {
    /// The trace context the producer put in the record's headers, extracted by `instrument`
    /// into `context` — for a span of your own; ``KafkaConsumer/withSpan(for:isolation:_:)``
    /// does it for you.
    ///
    /// Headers are read in place, on demand; where a name repeats, the last header counts (the
    /// one a tracing producer added after the record's own). Without trace headers, `context`
    /// comes back as it was given.
    ///
    /// - Parameters:
    ///   - context: What to extract into; by default an empty context.
    ///   - instrument: The instrument that knows the header format; by default the one in
    ///     effect (`InstrumentationSystem.instrument`).
    public func extractContext(into context: ServiceContext = .topLevel, using instrument: any Instrument = InstrumentationSystem.instrument) -> ServiceContext {
        var context = context
        instrument.extract(self, into: &context, using: KafkaConsumerMessageExtractor())
        return context
    }
}
