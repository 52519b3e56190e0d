import KafkaKit

/// What a handle's KafkaKit client reports to the interpreter's thread.
enum TclHandleEvent: Sendable {
    /// The report of a message produced while a delivery-report callback was set, with the
    /// message's payload and key for the callback.
    case report(KafkaDeliveryReport, payload: [UInt8], key: [UInt8]?)
    /// A failed delivery of a message produced with no delivery-report callback set.
    case failedDelivery(KafkaDeliveryReport)
    case error(KafkaError)
    case statistics(String)
    case log(TclLogLine)
}

/// Keeps a message's payload and key until its delivery report, for the delivery-report
/// callback (which KafkaTcl passes both).
final class TclDeliveryReceiver: KafkaDeliveryReceiver, @unchecked Sendable {
    // @unchecked: the fields are set before the send and only read by the one report.
    let payload: [UInt8]
    let key: [UInt8]?
    let inbox: TclInbox<TclHandleEvent>

    init(payload: [UInt8], key: [UInt8]?, inbox: TclInbox<TclHandleEvent>) {
        self.payload = payload
        self.key = key
        self.inbox = inbox
    }

    override func received(_ report: KafkaDeliveryReport) {
        inbox.post(.report(report, payload: payload, key: key))
    }
}
