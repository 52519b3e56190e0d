import CTcl
import KafkaKit

/// The shapes KafkaTcl gives messages, reports and errors as Tcl values.
enum TclMessage {
    static func bytes(_ buffer: UnsafeRawBufferPointer?) -> TclObj {
        Tcl_NewByteArrayObj(buffer?.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(buffer?.count ?? 0))
    }

    static func bytes(_ array: [UInt8]) -> TclObj {
        array.withUnsafeBytes { bytes($0) }
    }

    /// An offset as KafkaTcl names it: `beginning`, `end`, `stored`, `invalid`, or the number.
    static func offset(_ offset: Int64) -> TclObj {
        switch offset {
        case KafkaOffset.beginning.rawValue: Tcl.new("beginning")
        case KafkaOffset.end.rawValue: Tcl.new("end")
        case KafkaOffset.stored.rawValue: Tcl.new("stored")
        case KafkaOffset.invalid.rawValue: Tcl.new("invalid")
        default: Tcl.new(offset)
        }
    }

    /// `payload P partition N offset O ?timestamp MS? topic T ?key K?` — a message passed to a
    /// callback, or returned by a subscriber's `consume`.
    static func list(_ message: KafkaConsumerMessage) -> TclObj {
        var elements: [TclObj] = [
            Tcl.new("payload"), message.withUnsafeValue { bytes($0) },
            Tcl.new("partition"), Tcl.new(message.partition),
            Tcl.new("offset"), offset(message.offset),
        ]
        if let timestamp = message.timestampMilliseconds {
            elements += [Tcl.new("timestamp"), Tcl.new(timestamp)]
        }
        elements += [Tcl.new("topic"), Tcl.new(message.topic)]
        message.withUnsafeKey { key in
            if let key { elements += [Tcl.new("key"), bytes(key)] }
        }
        return Tcl.list(elements)
    }

    /// `error TEXT code CODE_NAME message TEXT`: a consume error as a callback receives it.
    static func error(_ error: KafkaError) -> TclObj {
        Tcl.list([
            Tcl.new("error"), Tcl.new(error.code.explanation),
            Tcl.new("code"), Tcl.new(error.code.fullName),
            Tcl.new("message"), Tcl.new(error.message),
        ])
    }

    /// A delivery report: the message's `payload partition offset topic ?key?`, or on failure
    /// `error TEXT code CODE_NAME message PAYLOAD` (plus `topic` and `partition`).
    static func deliveryReport(_ report: KafkaDeliveryReport, payload: [UInt8], key: [UInt8]?) -> TclObj {
        var elements: [TclObj]
        if report.isDelivered {
            elements = [
                Tcl.new("payload"), bytes(payload),
                Tcl.new("partition"), Tcl.new(report.partition),
                Tcl.new("offset"), offset(report.offset),
                Tcl.new("topic"), Tcl.new(report.topic),
            ]
        } else {
            elements = [
                Tcl.new("error"), Tcl.new(report.errorCode.explanation),
                Tcl.new("code"), Tcl.new(report.errorCode.fullName),
                Tcl.new("message"), bytes(payload),
                Tcl.new("topic"), Tcl.new(report.topic),
                Tcl.new("partition"), Tcl.new(report.partition),
            ]
        }
        if let key { elements += [Tcl.new("key"), bytes(key)] }
        return Tcl.list(elements)
    }

    /// `err N reason TEXT error TEXT code CODE_NAME message TEXT`: the error callback's argument.
    static func errorCallback(_ error: KafkaError, reason: String) -> TclObj {
        Tcl.list([
            Tcl.new("err"), Tcl.new(error.code.rawValue),
            Tcl.new("reason"), Tcl.new(reason),
            Tcl.new("error"), Tcl.new(error.code.explanation),
            Tcl.new("code"), Tcl.new(error.code.fullName),
            Tcl.new("message"), Tcl.new(reason),
        ])
    }

    /// `level N facility F message TEXT`: the logger callback's argument.
    static func logLine(_ line: TclLogLine) -> TclObj {
        Tcl.list([
            Tcl.new("level"), Tcl.new(line.level),
            Tcl.new("facility"), Tcl.new(line.facility),
            Tcl.new("message"), Tcl.new(line.message),
        ])
    }
}
