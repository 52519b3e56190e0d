// swift-tools-version: 6.1
// The libFuzzer targets of `make fuzz` (scripts/fuzz), a package of their own so that building
// KafkaKit never builds them. Each target is an executable that hands libFuzzer
// (LLVMFuzzerRunDriver) a test of one input: run one parser, check what it returned. SwiftPM
// names an executable's main <target>_main, so libFuzzer's own main cannot be used. Built by
// scripts/fuzz with
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address --toolset <lld>
import PackageDescription

let connections: Target.Dependency = .product(name: "KafkaKitConnections", package: "KafkaKit")

let package = Package(
    name: "KafkaKitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "KafkaKit", path: "..")],
    targets: [
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "KafkaKit", package: "KafkaKit"), connections]),
        .executableTarget(name: "KafkaConfFuzzer", dependencies: ["FuzzSupport", connections]),
        .executableTarget(name: "SocketFuzzer", dependencies: ["FuzzSupport", connections]),
        .executableTarget(name: "BrokerSpecFuzzer", dependencies: ["FuzzSupport", connections]),
        .executableTarget(name: "JSONFuzzer", dependencies: ["FuzzSupport", .product(name: "KafkaKitEvents", package: "KafkaKit")]),
        .executableTarget(name: "RecordSplitterFuzzer", dependencies: ["FuzzSupport", .product(name: "_KafkaKitCLISupport", package: "KafkaKit")]),
        .executableTarget(name: "JSONRecordFuzzer", dependencies: ["FuzzSupport", .product(name: "_KafkaKitCLISupport", package: "KafkaKit")]),
    ],
    swiftLanguageModes: [.v6]
)
