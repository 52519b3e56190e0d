import CLibrdkafka
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A consumed record's fields read in one go, its key and value in place (valid only while the
/// message is): what the `kafka` command formats per record without a call per field.
package struct KafkaRawRecord {
    package var key: UnsafeRawBufferPointer?
    package var value: UnsafeRawBufferPointer?
    package var partition: Int32
    package var offset: Int64
}

extension KafkaConsumerMessage {
    /// Key, value, partition and offset; the buffers are valid only in `body`.
    package func withRawRecord<R>(_ body: (KafkaRawRecord) throws -> R) rethrows -> R {
        let m = pointer.pointee
        return try body(KafkaRawRecord(
            key: m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) },
            value: m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) },
            partition: m.partition,
            offset: m.offset))
    }

    /// The timestamp in milliseconds (-1 if none) and its type in one call.
    package var rawTimestamp: (milliseconds: Int64, type: TimestampType?) {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(pointer, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: return (ms, .createTime)
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return (ms, .logAppendTime)
        default: return (-1, nil)
        }
    }

    /// The ID of the broker the record was fetched from (-1 if unknown).
    package var brokerID: Int32 { rd_kafka_message_broker_id(pointer) }

    /// Calls `body` with each header's name and value bytes in place (`nil`: a null value), in
    /// order; returns whether the record has headers at all.
    @discardableResult
    package func forEachRawHeader(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Void) rethrows -> Bool {
        var hdrs: OpaquePointer? = nil
        guard rd_kafka_message_headers(pointer, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return false }
        var name: UnsafePointer<CChar>? = nil
        var value: UnsafeRawPointer? = nil
        var size = 0
        var i = 0
        while rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let nameBytes = UnsafeRawBufferPointer(start: name!, count: strlen(name!))
            try body(nameBytes, value.map { UnsafeRawBufferPointer(start: $0, count: size) })
            i += 1
        }
        return true
    }
}
