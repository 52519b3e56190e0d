import Testing

@testable import KafkaKit

/// The census of librdkafka handles (``RDKafkaOpenClientsState``): who waits for none to be
/// left is woken once, by the last destroy. No broker.
@Suite("Open librdkafka clients")
struct OpenClientsStateTests {
    @Test("no handle open: nothing to wait for")
    func noneOpen() {
        var state = RDKafkaOpenClientsState<String>()
        #expect(state.wait("w") == nil)
        state.opened()
        #expect(state.destroyed().isEmpty)
        #expect(state.wait("w") == nil)
    }

    @Test("waiters are woken by the last destroy, not before, and only once")
    func lastDestroyWakes() {
        var state = RDKafkaOpenClientsState<String>()
        state.opened()
        state.opened()
        #expect(state.wait("a") != nil)
        #expect(state.wait("b") != nil)
        #expect(state.destroyed().isEmpty)
        #expect(state.open == 1)
        #expect(state.destroyed() == ["a", "b"])
        state.opened()
        #expect(state.destroyed().isEmpty)  // already woken: not again
    }

    @Test("a wait that timed out is no longer woken; the others are")
    func timedOutWait() throws {
        var state = RDKafkaOpenClientsState<String>()
        state.opened()
        let a = state.wait("a")
        let b = state.wait("b")
        #expect(a != nil && b != nil && a != b)
        state.waitEnded(try #require(a))
        #expect(state.destroyed() == ["b"])
    }
}

@Suite("OpenSSL at exit")
struct OpenSSLExitTests {
    @Test("OpenSSL is told not to clean up at exit, under librdkafka's running threads, before the first client")
    func noCleanupAtExit() throws {
        _ = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]))
        #expect(RDKafkaOpenSSLExit.disabled, "OPENSSL_init_crypto was not found or refused OPENSSL_INIT_NO_ATEXIT")
    }
}
