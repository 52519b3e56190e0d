import CLibrdkafka
import Tracing

/// A producer's tracing (``KafkaConfiguration/tracing``): made only when it is on, so that a
/// producer without it pays one `nil` check per send and per delivery report.
///
/// A record with a send span carries, as its `msg_opaque`, a retained ``RDKafkaTracedSend``
/// tagged with bit 1 (`pointer | 2`; fire-and-forget IDs are odd, receivers are aligned
/// pointers): it holds the span and the opaque the send was given. The delivery report ends
/// the span and hands the original opaque on, so every other part of the report path is
/// unchanged.
final class RDKafkaProducerTracing: Sendable {
    let options: KafkaTracingOptions
    let clientID: String?

    init(options: KafkaTracingOptions, clientID: String?) {
        self.options = options
        self.clientID = clientID
    }

    /// Whether `opaque` is a traced send's (see ``beginSend(topic:partition:key:valueSize:headers:opaque:)``).
    @inline(__always)
    static func isTraced(_ opaque: UInt) -> Bool { opaque & 3 == 2 }

    /// Before a record is handed to librdkafka: starts its send span (if spans are wanted),
    /// injects the span's context — or the current context — into `headers`, and returns the
    /// opaque to produce with: tagged if it carries a span, else `opaque` itself.
    func beginSend(
        topic: String,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        valueSize: Int?,
        headers: inout OpaquePointer?,
        opaque: UnsafeMutableRawPointer
    ) -> UnsafeMutableRawPointer {
        var carrier = RDKafkaHeadersCarrier(handle: headers)
        defer { headers = carrier.handle }
        let instrument = options.tracer ?? InstrumentationSystem.instrument
        guard options.createsSendSpans else {
            // Nothing to propagate outside any context: no headers are added.
            if let context = ServiceContext.current {
                instrument.inject(context, into: &carrier, using: RDKafkaHeadersInjector())
            }
            return opaque
        }
        let tracer = options.tracer ?? InstrumentationSystem.tracer
        let span = tracer.startSpan("\(KafkaMessagingAttributes.send) \(topic)", context: ServiceContext.current ?? .topLevel, ofKind: .producer)
        if span.isRecording {
            span.updateAttributes { attributes in
                // Room for these and the report's two, so that neither grows the dictionary.
                attributes.reserveCapacity(attributes.count + 10)
                attributes.set(KafkaMessagingAttributes.system, value: .string(KafkaMessagingAttributes.kafka))
                attributes.set(KafkaMessagingAttributes.operationType, value: .string(KafkaMessagingAttributes.send))
                attributes.set(KafkaMessagingAttributes.operationName, value: .string(KafkaMessagingAttributes.send))
                attributes.set(KafkaMessagingAttributes.destinationName, value: .string(topic))
                if let partition, partition >= 0 { attributes.set(KafkaMessagingAttributes.partitionID, value: .string(String(partition))) }
                if options.recordsMessageKeys, let text = KafkaMessagingAttributes.keyText(key) {
                    attributes.set(KafkaMessagingAttributes.messageKey, value: .string(text))
                }
                if let valueSize { attributes.set(KafkaMessagingAttributes.bodySize, value: .int64(Int64(valueSize))) }
                if let clientID { attributes.set(KafkaMessagingAttributes.clientID, value: .string(clientID)) }
            }
        }
        instrument.inject(span.context, into: &carrier, using: RDKafkaHeadersInjector())
        let traced = Unmanaged.passRetained(RDKafkaTracedSend(span: span, opaque: opaque)).toOpaque()
        return UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: traced) | 2)!
    }

    /// librdkafka refused the record: its span ends with the error, and the caller keeps the
    /// opaque it gave (a no-op for an untraced opaque).
    func sendRefused(_ opaque: UnsafeMutableRawPointer, error: KafkaError) {
        let bits = UInt(bitPattern: opaque)
        guard Self.isTraced(bits) else { return }
        let send = Unmanaged<RDKafkaTracedSend>.fromOpaque(UnsafeRawPointer(bitPattern: bits & ~3)!).takeRetainedValue()
        Self.fail(send.span, error)
        send.span.end()
    }

    /// At the record's delivery report: ends its span — with the partition and offset, or the
    /// error — and returns the opaque the send was given.
    static func finishSend(_ opaque: UInt, message: UnsafePointer<rd_kafka_message_t>) -> UInt {
        let send = Unmanaged<RDKafkaTracedSend>.fromOpaque(UnsafeRawPointer(bitPattern: opaque & ~3)!).takeRetainedValue()
        let span = send.span
        let err = message.pointee.err
        if span.isRecording {
            let partition = message.pointee.partition
            let offset = message.pointee.offset
            span.updateAttributes { attributes in
                if partition >= 0 { attributes.set(KafkaMessagingAttributes.partitionID, value: .string(String(partition))) }
                if err == RD_KAFKA_RESP_ERR_NO_ERROR, offset >= 0 { attributes.set(KafkaMessagingAttributes.offset, value: .int64(Int64(offset))) }
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let topic = String(cString: rd_kafka_topic_name(message.pointee.rkt))
                fail(span, KafkaError(err, topic: topic))
            }
        }
        span.end()
        return UInt(bitPattern: send.opaque)
    }

    private static func fail(_ span: any Span, _ error: KafkaError) {
        span.attributes[KafkaMessagingAttributes.errorType] = error.code.name
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: error.code.name))
    }
}

/// A traced record's span and the opaque its send was given, from the send to its report.
final class RDKafkaTracedSend: Sendable {
    let span: any Span
    /// The send's own opaque: a fire-and-forget ID or a retained receiver (see
    /// ``RDKafkaProducerCore``). A bit pattern, so that the box stays `Sendable`.
    private let opaqueBits: UInt

    var opaque: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: opaqueBits)! }

    init(span: any Span, opaque: UnsafeMutableRawPointer) {
        self.span = span
        self.opaqueBits = UInt(bitPattern: opaque)
    }
}
