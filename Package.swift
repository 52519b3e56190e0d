// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "KafkaKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KafkaKit", targets: ["KafkaKit"]),
        .library(name: "KafkaKitConnections", targets: ["KafkaKitConnections"]),
        .library(name: "KafkaKitEvents", targets: ["KafkaKitEvents"]),
        // KafkaConfiguration and named connections from swift-configuration's ConfigReader: a
        // product of its own, so that only its users resolve swift-configuration.
        .library(name: "KafkaKitConfiguration", targets: ["KafkaKitConfiguration"]),
        .executable(name: "kafka", targets: ["KafkaCLI"]),
        // Not API: the `kafka` command's input splitter, a product only so that the fuzzer
        // (Fuzz/, `make fuzz`) can link it.
        .library(name: "_KafkaKitCLISupport", targets: ["_KafkaKitCLISupport"]),
        // The Tcl package (`make tcl` installs it with its pkgIndex.tcl).
        .library(name: "KafkaKitTcl", type: .dynamic, targets: ["KafkaKitTcl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // `make docs`: `swift package generate-documentation` for every catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Default traits (JSON, which needs nothing beyond Foundation): the tests read a JSON file.
        // YAML, command-line arguments and reloading are the application's to enable.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibrdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .target(
            name: "KafkaKit",
            dependencies: [
                "CLibrdkafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KafkaKitConfiguration",
            dependencies: [
                "KafkaKit", "KafkaKitConnections",
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CTcl",
            pkgConfig: "tcl8.6",
            providers: [.apt(["tcl8.6-dev"]), .brew(["tcl-tk"])]
        ),
        .target(
            name: "KafkaKitTcl",
            dependencies: [
                "CTcl", "KafkaKit", "KafkaKitConnections", "KafkaKitEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KafkaKitConnections",
            dependencies: ["KafkaKit", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "KafkaKitEvents",
            dependencies: [
                "KafkaKit", "KafkaKitConnections",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(name: "_KafkaKitCLISupport", swiftSettings: strict),
        .executableTarget(
            name: "KafkaCLI",
            dependencies: [
                "KafkaKit", "KafkaKitConnections", "KafkaKitEvents", "_KafkaKitCLISupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "QuickStart",
            dependencies: ["KafkaKit", .product(name: "Logging", package: "swift-log")],
            path: "Examples/QuickStart",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ProducerBenchmark",
            dependencies: [
                "KafkaKit", "KafkaKitConnections", "KafkaKitEvents", "BenchmarkMetrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Benchmarks/ProducerBenchmark",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ConsumerBenchmark",
            dependencies: ["KafkaKit", "BenchmarkMetrics"],
            path: "Benchmarks/ConsumerBenchmark",
            swiftSettings: strict
        ),
        // The benchmarks' metrics switch (BENCH_METRICS=1) and counting factory.
        .target(
            name: "BenchmarkMetrics",
            dependencies: ["KafkaKit", .product(name: "Metrics", package: "swift-metrics")],
            path: "Benchmarks/BenchmarkMetrics",
            swiftSettings: strict
        ),
        .target(
            name: "KafkaKitTestSupport",
            dependencies: [
                "KafkaKit", "CLibrdkafka", .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Tests/KafkaKitTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitTests",
            dependencies: [
                "KafkaKit", "KafkaKitTestSupport", "CLibrdkafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitConfigurationTests",
            dependencies: [
                "KafkaKitConfiguration", "KafkaKit", "KafkaKitConnections",
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitTclTests",
            dependencies: ["KafkaKitTcl"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitConnectionsTests",
            dependencies: ["KafkaKitConnections", "KafkaKit", "KafkaKitTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitEventsTests",
            dependencies: [
                "KafkaKitEvents", "KafkaKitConnections", "KafkaKit", "KafkaKitTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaCLITests",
            dependencies: ["KafkaCLI", "KafkaKit", "KafkaKitEvents", "KafkaKitTestSupport", "_KafkaKitCLISupport"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "KafkaKitTestConsumer",
            dependencies: ["KafkaKit"],
            path: "Tests/KafkaKitTestConsumer",
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaKitIntegrationTests",
            dependencies: [
                "KafkaKit", "KafkaKitTestSupport", "CLibrdkafka", "KafkaKitTestConsumer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
