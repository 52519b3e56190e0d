import CTcl
import KafkaKit

/// Fills a Tcl array with consumed messages (`consume`, `consume_batch`): `payload partition
/// offset topic timestamp`, and `key` only when the message has one; or `error code message`.
///
/// Made per reader and used on the interpreter's thread: the element names and the topic's
/// name are Tcl values made once, not per message, and only the elements that may linger
/// from the message before (`key`, the error's) are unset between messages of one batch.
final class TclArrayFiller {
    private let names: [TclObj]
    private var topicIdentity: OpaquePointer?
    private var topicObj: TclObj?

    private enum Element: Int, CaseIterable {
        case payload, partition, key, offset, topic, timestamp, error, code, message
    }

    init() {
        names = Element.allCases.map { element in
            let obj = Tcl.new("\(element)")
            ctcl_incr_ref(obj)
            return obj
        }
    }

    deinit {
        for name in names { ctcl_decr_ref(name) }
        if let topicObj { ctcl_decr_ref(topicObj) }
    }

    /// What the array holds from the fill before, within one command.
    private var lastHadKey = false
    private var lastWasError = false

    /// Call before the first fill of a command: the array may hold anything from earlier.
    func begin() {
        lastHadKey = true
        lastWasError = true
    }

    private func set(_ interp: TclInterp, _ array: TclObj, _ element: Element, _ value: TclObj) throws(TclError) {
        // Held across the call: a failed set must still free the value.
        ctcl_incr_ref(value)
        defer { ctcl_decr_ref(value) }
        guard Tcl_ObjSetVar2(interp, array, names[element.rawValue], value, TCL_LEAVE_ERR_MSG) != nil else {
            throw Tcl.takeError(interp)
        }
    }

    /// The end of a partition: no message's elements stay (KafkaTcl unsets them too).
    func clear(_ interp: TclInterp, _ array: TclObj) {
        unset(interp, array, [.payload, .partition, .key, .offset, .topic, .timestamp])
        lastHadKey = false
    }

    private func unset(_ interp: TclInterp, _ array: TclObj, _ elements: [Element]) {
        let arrayName = Tcl_GetString(array)
        for element in elements { Tcl_UnsetVar2(interp, arrayName, Tcl_GetString(names[element.rawValue]), 0) }
    }

    func fill(_ interp: TclInterp, _ array: TclObj, with message: KafkaConsumerMessage) throws(TclError) {
        if lastWasError { unset(interp, array, [.error, .code, .message]) }
        try set(interp, array, .payload, message.withUnsafeValue { TclMessage.bytes($0) })
        try set(interp, array, .partition, Tcl.new(message.partition))
        try set(interp, array, .offset, TclMessage.offset(message.offset))
        try set(interp, array, .topic, topic(of: message))
        if let timestamp = message.timestampMilliseconds { try set(interp, array, .timestamp, Tcl.new(timestamp)) }
        let key = message.withUnsafeKey { $0.map { TclMessage.bytes($0) } }
        if let key {
            try set(interp, array, .key, key)
        } else if lastHadKey {
            unset(interp, array, [.key])
        }
        lastHadKey = key != nil
        lastWasError = false
    }

    func fill(_ interp: TclInterp, _ array: TclObj, with error: KafkaError) throws(TclError) {
        unset(interp, array, [.payload, .partition, .key, .offset, .topic, .timestamp])
        try set(interp, array, .error, Tcl.new(error.code.explanation))
        try set(interp, array, .code, Tcl.new(error.code.fullName))
        try set(interp, array, .message, Tcl.new(error.message))
        lastHadKey = false
        lastWasError = true
    }

    /// The topic's name as a Tcl value, made again only when the topic changes.
    private func topic(of message: KafkaConsumerMessage) -> TclObj {
        if let topicObj, message.topicIdentity == topicIdentity { return topicObj }
        if let topicObj { ctcl_decr_ref(topicObj) }
        let obj = Tcl.new(message.topic)
        ctcl_incr_ref(obj)
        topicObj = obj
        topicIdentity = message.topicIdentity
        return obj
    }
}
