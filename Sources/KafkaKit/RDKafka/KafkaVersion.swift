import CLibrdkafka

/// The versions of KafkaKit and of the librdkafka it runs on.
public enum KafkaVersion {
    /// KafkaKit's version, a semantic version (`MAJOR.MINOR.PATCH`), as `kafka -V` prints it.
    ///
    /// The one place a release changes: no file of the repository repeats the number (SwiftPM
    /// versions a package by its git tags, and has no way to read a file into the build), and
    /// a test fails when a commit tagged as a release (`X.Y.Z` or `vX.Y.Z`) carries another.
    public static let kafkaKit = "0.1.0"

    /// The version of the librdkafka loaded at run time (`rd_kafka_version_str()`), such as
    /// `2.14.2`: the library that actually runs, which may differ from the headers built against.
    public static var librdkafka: String { String(cString: rd_kafka_version_str()) }

    /// librdkafka's version as a number (`rd_kafka_version()`, `0xMMmmrrpp`).
    public static var librdkafkaNumber: Int32 { rd_kafka_version() }

    /// The debug contexts librdkafka knows, for its `debug` property (`rd_kafka_get_debug_contexts()`).
    public static var debugContexts: [String] {
        String(cString: rd_kafka_get_debug_contexts()).split(separator: ",").map(String.init)
    }
}
