#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps OpenSSL from cleaning up at process exit, before librdkafka first uses it.
///
/// By default OpenSSL registers an `atexit` handler that frees its global state. A process
/// that exits while a librdkafka client is still open — a program that calls `exit()` with a
/// producer alive, a Tcl script ending — then runs that cleanup while librdkafka's broker
/// threads are inside OpenSSL (a TLS handshake, a reconnect), and crashes. It did, in
/// `kafka produce` against a TLS listener, about one exit in twelve. The process is ending:
/// leaving OpenSSL's memory to the kernel is what every other thread expects.
///
/// `OPENSSL_INIT_NO_ATEXIT` takes effect only in the first initialisation of the process, so
/// this runs before the first client (librdkafka initialises OpenSSL in `rd_kafka_new`). The
/// function is looked up at run time: librdkafka brings libcrypto in, KafkaKit does not link
/// it, and a librdkafka built without TLS has none to look up.
enum RDKafkaOpenSSLExit {
    /// `OPENSSL_INIT_NO_ATEXIT` (openssl/crypto.h, OpenSSL 1.1.1 and later).
    static let noAtExit: UInt64 = 0x0008_0000

    /// Whether OpenSSL was asked, once per process; `false` when libcrypto is not loaded.
    static let disabled: Bool = {
        typealias InitCrypto = @convention(c) (UInt64, UnsafeRawPointer?) -> Int32
        guard let process = dlopen(nil, RTLD_NOW) else { return false }
        defer { dlclose(process) }
        guard let symbol = dlsym(process, "OPENSSL_init_crypto") else { return false }
        return unsafeBitCast(symbol, to: InitCrypto.self)(noAtExit, nil) == 1
    }()
}
