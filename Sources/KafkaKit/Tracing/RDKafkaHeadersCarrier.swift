import CLibrdkafka
import Tracing

/// A record's librdkafka header list as a trace carrier: what an instrument injects is added
/// straight to the list librdkafka sends, with no Swift copy of the record's headers.
///
/// Unchecked Sendable: it lives on the stack of one send, and the list is handed to
/// librdkafka (or destroyed) by that send.
struct RDKafkaHeadersCarrier: @unchecked Sendable {
    /// The record's header list; made on the first injection if the record had none.
    var handle: OpaquePointer?
}

/// Adds each injected field as a header (after the record's own, so a consumer reading the
/// last header of a name sees the injected one).
struct RDKafkaHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout RDKafkaHeadersCarrier) {
        if carrier.handle == nil { carrier.handle = rd_kafka_headers_new(2) }
        var key = key
        var value = value
        key.withUTF8 { name in
            value.withUTF8 { bytes in
                // An empty value still needs an address: NULL would be a header without a value.
                withUnsafeBytes(of: UInt8(0)) { empty in
                    let address = bytes.count == 0 ? empty.baseAddress : UnsafeRawPointer(bytes.baseAddress)
                    _ = rd_kafka_header_add(carrier.handle, name.baseAddress, name.count, address, bytes.count)
                }
            }
        }
    }
}

/// Reads a consumed record's headers in place: the last header of the name an instrument asks
/// for (the one a producer's injector added last), as UTF-8 text.
struct KafkaConsumerMessageExtractor: Extractor {
    func extract(key: String, from message: KafkaConsumerMessage) -> String? {
        var headers: OpaquePointer? = nil
        guard rd_kafka_message_headers(message.pointer, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return nil }
        var value: UnsafeRawPointer? = nil
        var size = 0
        guard rd_kafka_header_get_last(headers, key, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        guard let value else { return nil }  // a header without a value carries nothing
        return String(decoding: UnsafeRawBufferPointer(start: value, count: size), as: UTF8.self)
    }
}
