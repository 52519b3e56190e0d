import CTcl
import Glibc

// The few pieces of Tcl's C API the package is built from: values, results and errors,
// commands backed by Swift objects, and callbacks evaluated in the interpreter.

typealias TclInterp = UnsafeMutablePointer<Tcl_Interp>
typealias TclObj = UnsafeMutablePointer<Tcl_Obj>

/// A Tcl error: the interpreter's result text and its `errorCode` list.
struct TclError: Error {
    var message: String
    var errorCode: [String]
    /// Set instead of `message` when the error is Tcl's own `wrong # args`, which Tcl words
    /// from the command's words itself (`Tcl_WrongNumArgs`).
    var wrongArgs: (words: Int, usage: String)?
    /// Set when a script the command ran ended with this code (error, `return`): its result
    /// and error information are already in the interpreter and pass through unchanged.
    var passThrough: Int32?

    init(_ message: String, errorCode: [String] = ["KAFKA", "TCL"]) {
        self.message = message
        self.errorCode = errorCode
        self.wrongArgs = nil
        self.passThrough = nil
    }

    static func passThrough(_ code: Int32) -> TclError {
        var error = TclError("", errorCode: [])
        error.passThrough = code
        return error
    }

    /// `wrong # args: should be "WORDS… usage"`, naming the first `words` words of the call.
    static func wrongArgs(_ words: Int, _ usage: String) -> TclError {
        var error = TclError("", errorCode: ["TCL", "WRONGARGS"])
        error.wrongArgs = (words, usage)
        return error
    }

    /// Tcl's error for a word that is not one of `choices`:
    /// `bad option "x": must be a, b, or c`.
    static func badWord(_ kind: String, _ word: String, _ choices: [String]) -> TclError {
        let list: String
        switch choices.count {
        case 0: list = ""
        case 1: list = choices[0]
        case 2: list = "\(choices[0]) or \(choices[1])"
        default: list = choices.dropLast().joined(separator: ", ") + ", or " + choices.last!
        }
        return TclError("bad \(kind) \"\(word)\": must be \(list)", errorCode: ["TCL", "LOOKUP", kind.uppercased(), word])
    }
}

/// The words of one command call, `objv[0]` being the command's name.
struct TclArgs {
    let interp: TclInterp
    let objc: Int
    let objv: UnsafePointer<TclObj?>

    var count: Int { objc }
    subscript(i: Int) -> TclObj { objv[i]! }

    func string(_ i: Int) -> String { Tcl.string(self[i]) }

    func int(_ i: Int) throws(TclError) -> Int {
        var value = 0
        guard Tcl_GetLongFromObj(interp, self[i], &value) == TCL_OK else { throw Tcl.takeError(interp) }
        return value
    }

    func wide(_ i: Int) throws(TclError) -> Int64 {
        var value: Tcl_WideInt = 0
        guard Tcl_GetWideIntFromObj(interp, self[i], &value) == TCL_OK else { throw Tcl.takeError(interp) }
        return Int64(value)
    }

    func list(_ i: Int) throws(TclError) -> [TclObj] { try Tcl.list(self[i], interp: interp) }

    /// Throws `wrong # args` unless the call has between `min` and `max` words.
    func expect(_ min: Int, _ max: Int? = nil, words: Int = 2, _ usage: String) throws(TclError) {
        if objc < min || objc > (max ?? min) { throw TclError.wrongArgs(words, usage) }
    }
}

/// Helpers over Tcl values.
enum Tcl {
    static func string(_ obj: TclObj) -> String {
        var length: Int32 = 0
        let chars = Tcl_GetStringFromObj(obj, &length)!
        return chars.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
        }
    }

    /// Calls `body` with the bytes a Tcl value stands for in a message: a byte array's own
    /// bytes (binary data, `encoding convertto`'s result), any other value's text in UTF-8 —
    /// what every other Kafka client sends for text, where `Tcl_GetByteArrayFromObj` would
    /// keep only the low byte of each character.
    static func withBytes<R>(_ obj: TclObj, _ body: (UnsafeRawBufferPointer) throws(TclError) -> R) throws(TclError) -> R {
        var length: Int32 = 0
        if obj.pointee.typePtr == byteArrayType {
            let bytes = Tcl_GetByteArrayFromObj(obj, &length)
            return try body(UnsafeRawBufferPointer(start: bytes, count: Int(length)))
        }
        let chars = Tcl_GetStringFromObj(obj, &length)!
        // Tcl's string form is UTF-8 except for NUL (C0 80) and, in 8.6, characters beyond
        // U+FFFF (surrogate halves, ED A0..BF ..): only then does it need converting.
        if memchr(chars, 0xC0, Int(length)) == nil && memchr(chars, 0xED, Int(length)) == nil {
            return try body(UnsafeRawBufferPointer(start: chars, count: Int(length)))
        }
        // Heap-allocated: a Tcl_DString points into itself.
        let converted = UnsafeMutablePointer<Tcl_DString>.allocate(capacity: 1)
        defer { converted.deallocate() }
        Tcl_UtfToExternalDString(utf8Encoding, chars, length, converted)
        defer { Tcl_DStringFree(converted) }
        return try body(UnsafeRawBufferPointer(start: converted.pointee.string, count: Int(converted.pointee.length)))
    }

    nonisolated(unsafe) static let utf8Encoding = Tcl_GetEncoding(nil, "utf-8")

    nonisolated(unsafe) static let byteArrayType = Tcl_GetObjType("bytearray")

    static func new(_ text: String) -> TclObj {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { Tcl_NewStringObj($0.baseAddress, Int32($0.count)) }
        }
    }

    static func new(_ value: Int) -> TclObj { Tcl_NewWideIntObj(Tcl_WideInt(value)) }
    static func new(_ value: Int64) -> TclObj { Tcl_NewWideIntObj(Tcl_WideInt(value)) }
    static func new(_ value: Int32) -> TclObj { Tcl_NewWideIntObj(Tcl_WideInt(value)) }

    static func list(_ elements: [TclObj]) -> TclObj {
        elements.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: TclObj?.self) { Tcl_NewListObj(Int32($0.count), $0.baseAddress) }
        }
    }

    static func list(_ strings: [String]) -> TclObj { list(strings.map { new($0) }) }

    static func list(_ obj: TclObj, interp: TclInterp?) throws(TclError) -> [TclObj] {
        var count: Int32 = 0
        var elements: UnsafeMutablePointer<TclObj?>? = nil
        guard Tcl_ListObjGetElements(interp, obj, &count, &elements) == TCL_OK else {
            throw interp.map { takeError($0) } ?? TclError("not a list")
        }
        return (0..<Int(count)).map { elements![$0]! }
    }

    /// The interpreter's current result as an error (after a failed Tcl call).
    static func takeError(_ interp: TclInterp) -> TclError {
        TclError(string(Tcl_GetObjResult(interp)!), errorCode: [])
    }

    /// Sets `error` as the interpreter's result and errorCode; returns `TCL_ERROR`.
    static func fail(_ interp: TclInterp, _ error: TclError, objc: Int32, objv: UnsafePointer<TclObj?>?) -> Int32 {
        if let code = error.passThrough { return code }
        if let wrong = error.wrongArgs {
            // An empty usage is passed as NULL, or Tcl ends the message with a space.
            Tcl_WrongNumArgs(interp, Int32(min(wrong.words, Int(objc))), objv, wrong.usage.isEmpty ? nil : wrong.usage)
        } else if !error.errorCode.isEmpty || !error.message.isEmpty {
            Tcl_SetObjResult(interp, new(error.message))
        }
        if !error.errorCode.isEmpty { Tcl_SetObjErrorCode(interp, list(error.errorCode)) }
        return TCL_ERROR
    }

    /// Sets `name(element)`; throws Tcl's error if the variable cannot be set.
    static func setElement(_ interp: TclInterp, _ array: TclObj, _ element: String, _ value: TclObj) throws(TclError) {
        let key = new(element)
        ctcl_incr_ref(key)
        ctcl_incr_ref(value)
        defer {
            ctcl_decr_ref(key)
            ctcl_decr_ref(value)
        }
        guard Tcl_ObjSetVar2(interp, array, key, value, TCL_LEAVE_ERR_MSG) != nil else { throw takeError(interp) }
    }

    /// Runs `body` with the interpreter held (`Tcl_Preserve`): a callback that deletes it
    /// leaves it valid until `body` returns, as Tcl's own event handlers do.
    static func preserving<R>(_ interp: TclInterp, _ body: () -> R) -> R {
        Tcl_Preserve(UnsafeMutableRawPointer(interp))
        defer { Tcl_Release(UnsafeMutableRawPointer(interp)) }
        return body()
    }

    /// Unsets the whole array variable, if set, so that elements of an earlier message do not
    /// linger (a message without a key has no `key` element).
    static func unset(_ interp: TclInterp, _ array: TclObj) {
        Tcl_UnsetVar2(interp, Tcl_GetString(array), nil, 0)
    }
}

/// What a failing Tcl-facing body throws: a Tcl error, or a KafkaKit one turned into a Tcl error.
typealias KafkaTclThrow = TclError
