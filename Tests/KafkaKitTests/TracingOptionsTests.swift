import KafkaKitTestSupport
import Testing

@testable import KafkaKit

@Suite("Tracing options")
struct TracingOptionsTests {
    @Test("options compare by the tracer they hold: copies are equal, a tracer given twice is not")
    func equality() {
        let tracer = W3CTestTracer()
        let options = KafkaTracingOptions(tracer: tracer)
        let copy = options
        #expect(options == copy)
        #expect(Set([options, copy]).count == 1)
        #expect(options != KafkaTracingOptions(tracer: tracer), "a box per given tracer")
        #expect(KafkaTracingOptions() == KafkaTracingOptions())
        #expect(KafkaTracingOptions() != KafkaTracingOptions(createsSendSpans: false))
        var configuration = KafkaConfiguration()
        let untraced = configuration
        configuration.tracing = options
        #expect(configuration != untraced)
        #expect((options.tracer as? W3CTestTracer) === tracer)
    }

    @Test("tracing is off by default and no client makes tracing state then")
    func offByDefault() async throws {
        let configuration = KafkaConfiguration()
        #expect(configuration.tracing == nil)
        let producer = try KafkaProducer(configuration: configuration)
        #expect(producer.core.tracing == nil)
        var consumerConfiguration = configuration
        consumerConfiguration["group.id"] = "g"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        #expect(consumer.tracing == nil)
        #expect(try KafkaPartitionConsumer(configuration: configuration).tracing == nil)
        await consumer.close()
        await producer.shutdown()
    }

    @Test("a traced opaque is told apart from fire-and-forget IDs and receivers")
    func opaqueTags() {
        #expect(RDKafkaProducerTracing.isTraced(0b10))
        #expect(!RDKafkaProducerTracing.isTraced(0b01) && !RDKafkaProducerTracing.isTraced(0b11), "IDs are odd")
        let receiver = KafkaDeliveryReceiver()
        let pointer = UInt(bitPattern: Unmanaged.passUnretained(receiver).toOpaque())
        #expect(!RDKafkaProducerTracing.isTraced(pointer), "object pointers are aligned")
    }
}
