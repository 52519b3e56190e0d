import CLibFuzzer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test of one input; set once, before libFuzzer starts calling it.
nonisolated(unsafe) private var testOneInput: ((UnsafeRawBufferPointer) -> Void)?

/// Runs libFuzzer with the program's arguments, `body` testing each input; exits with
/// libFuzzer's status. `body` reports a broken property with ``check(_:_:)``: the crash makes
/// libFuzzer keep the input.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    testOneInput = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        testOneInput!(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}

/// Stops the run with the message when a property does not hold.
public func check(_ holds: Bool, _ message: @autoclosure () -> String) {
    if !holds { fatalError("property broken: \(message())") }
}
