import Testing

@testable import KafkaKit

/// The offset and partition types the partition consumer takes.
@Suite("Partition consumer offsets and partitions")
struct PartitionConsumerOffsetTests {
    @Test("logical offsets carry librdkafka's values; literals are absolute offsets")
    func offsets() {
        #expect(KafkaOffset.beginning.rawValue == -2)
        #expect(KafkaOffset.end.rawValue == -1)
        #expect(KafkaOffset.stored.rawValue == -1000)
        #expect(KafkaOffset.invalid.rawValue == -1001)
        #expect(KafkaOffset.tail(3).rawValue == -2003)
        let literal: KafkaOffset = 42
        #expect(literal == KafkaOffset(42) && literal.rawValue == 42)
        #expect([KafkaOffset.beginning, .end, .stored, .invalid, .tail(3), 42, 0].map(\.description)
            == ["beginning", "end", "stored", "invalid", "tail(3)", "42", "0"])
    }

    @Test("where reading can start: absolute and logical offsets, not invalid nor other negatives")
    func validStarts() {
        let valid: [KafkaOffset] = [.beginning, .end, .stored, .tail(0), .tail(10), 0, 7]
        let invalid: [KafkaOffset] = [.invalid, KafkaOffset(-5), KafkaOffset(-1999)]
        #expect(valid.filter { !$0.isValidStart }.isEmpty)
        #expect(invalid.filter { $0.isValidStart }.isEmpty)
    }

    @Test("partitions: literals, unassigned, order and description")
    func partitions() {
        let literal: KafkaPartition = 3
        #expect(literal.rawValue == 3 && KafkaPartition.unassigned.rawValue == -1)
        #expect(KafkaPartition(1) < 2)
        #expect("\(literal) \(KafkaPartition.unassigned)" == "3 unassigned")
    }

    @Test("a topic partition takes a KafkaOffset, and an integer literal still means Int64")
    func topicPartition() {
        #expect(KafkaTopicPartition(topic: "t", partition: 0, offset: KafkaOffset.beginning).offset == -2)
        #expect(KafkaTopicPartition(topic: "t", partition: 0, offset: .tail(2)).offset == -2002)
        #expect(KafkaTopicPartition(topic: "t", partition: 0, offset: 12).offset == 12)
        #expect(KafkaTopicPartition(topic: "t", partition: 1).description == "t[1]")
    }
}
