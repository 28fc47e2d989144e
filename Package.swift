// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "TeleIngest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tele-ingest", targets: ["tele-ingest"]),
        .executable(name: "nurse-console", targets: ["nurse-console"]),
        .executable(name: "telekit-sim", targets: ["telekit-sim"]),
        .library(name: "TeleIngest", targets: ["TeleIngest"]),
        .library(name: "DevicePayloads", targets: ["DevicePayloads"]),
        .library(name: "ThresholdRules", targets: ["ThresholdRules"]),
        .library(name: "Vitals", targets: ["Vitals"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // glibc's allocator settings, for tele-ingest's memory (Sources/tele-ingest/AllocatorArenas.swift).
        .systemLibrary(name: "CAllocator"),
        .target(name: "BrokerSettings", swiftSettings: strictSettings),
        .target(
            name: "MQTT",
            dependencies: ["BrokerSettings", "CMosquitto", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .target(name: "MonitoringRecords", swiftSettings: strictSettings),
        .target(
            name: "StoreInterface",
            dependencies: ["DevicePayloads", "MonitoringRecords", "ReadingIntake", "ThresholdRules", "Vitals"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SiteNotification", dependencies: ["MonitoringRecords", "StoreInterface", "ThresholdRules"],
            swiftSettings: strictSettings),
        .target(
            name: "ServiceConfiguration",
            dependencies: ["BrokerSettings", "DevicePayloads", "MonitoringRecords", "StoreInterface"],
            swiftSettings: strictSettings),
        .target(
            name: "PostgresStore",
            dependencies: [
                "MonitoringRecords", "ReadingIntake", "StoreInterface", "ThresholdRules",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(name: "Vitals", swiftSettings: strictSettings),
        .target(
            name: "ReadingIntake", dependencies: ["DevicePayloads", "MonitoringRecords", "ThresholdRules", "Vitals"],
            swiftSettings: strictSettings),
        .target(name: "ThresholdRules", dependencies: ["Vitals"], swiftSettings: strictSettings),
        .target(name: "TelekitSimulation", dependencies: ["Vitals"], swiftSettings: strictSettings),
        .target(
            name: "RuleMeasurement", dependencies: ["ThresholdRules", "TelekitSimulation"],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "telekit-sim",
            dependencies: [
                "BrokerSettings", "MQTT", "MonitoringRecords", "TelekitSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ingest-bench",
            dependencies: [
                "BrokerSettings", "MQTT", "MonitoringRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "chaos-gateway",
            dependencies: [
                "BrokerSettings", "MQTT", "MonitoringRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "console-bench",
            dependencies: [
                "ReadingIntake",
                "DevicePayloads",
                "ConsoleScreens", "FollowUp", "MonitoringRecords", "PostgresStore", "StoreInterface", "TerminalUI",
                "TeleIngest", "ThresholdRules", "TelekitSimulation", "Vitals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "rules-bench",
            dependencies: [
                "ReadingIntake",
                "DevicePayloads",
                "MonitoringRecords", "RuleMeasurement", "TeleIngest", "ThresholdRules", "TelekitSimulation", "Vitals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // What devices send and how it is read, with no store: device profiles, the pure stages of
        // the pipeline (decode, normalise, check), CSV rows, quarantine reasons, and the YAML
        // files and their errors. Both backends' ingest paths and the fuzz target build on it.
        .target(
            name: "DevicePayloads",
            dependencies: [
                "MonitoringRecords", "Vitals",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // The SQLite store, the pipeline from journal to readings, the device profiles, the rules'
        // glue and the configuration: everything but the broker connection.
        .target(
            name: "TeleIngest",
            dependencies: [
                "ServiceConfiguration",
                "BrokerSettings",
                "DevicePayloads",
                "MonitoringRecords",
                "ReadingIntake",
                "StoreInterface",
                "Vitals",
                "ThresholdRules",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // What leaves the system as HL7 FHIR R4: a patient's record as transaction Bundle entries.
        // No I/O.
        .target(
            name: "FHIRExport",
            dependencies: [
                "MonitoringRecords", "ReadingIntake", "StoreInterface", "ThresholdRules", "Vitals",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The status report to the GP: a patient's period as one HTML page with SVG charts. No I/O.
        .target(
            name: "GPStatusReport",
            dependencies: [
                "FollowUp", "MonitoringRecords", "ReadingIntake", "StoreInterface", "ThresholdRules", "Vitals",
            ],
            swiftSettings: strictSettings
        ),
        // The running worker: the broker connection, the inbox writer, the service loop, retirement.
        .target(
            name: "IngestWorker",
            dependencies: [
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "ServiceConfiguration", "SiteNotification",
                "ReadingIntake",
                "DevicePayloads",
                "BrokerSettings",
                "MQTT",
                "MonitoringRecords",
                "PostgresStore",
                "StoreInterface",
                "TeleIngest",
                "ThresholdRules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tele-ingest",
            dependencies: [
                "CAllocator",
                "ServiceConfiguration",
                "BrokerSettings",
                "DevicePayloads",
                "FHIRExport",
                "IngestWorker",
                "MonitoringRecords",
                "PostgresStore",
                "ReadingIntake",
                "StoreInterface",
                "TeleIngest",
                "TerminalUI",
                "ThresholdRules",
                "Vitals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FollowUp",
            dependencies: [
                "ReadingIntake", "SiteNotification",
                "DevicePayloads", "MonitoringRecords", "ServiceConfiguration", "StoreInterface", "ThresholdRules",
                "Vitals",
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "TerminalUI", swiftSettings: strictSettings),
        .target(
            name: "ConsoleScreens",
            dependencies: [
                "ReadingIntake",
                "DevicePayloads", "FollowUp", "MonitoringRecords", "StoreInterface", "TerminalUI", "ThresholdRules",
                "Vitals",
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "nurse-console",
            dependencies: [
                "GPStatusReport",
                "ServiceConfiguration", "SiteNotification",
                "ConsoleScreens", "DevicePayloads", "FollowUp", "MonitoringRecords", "PostgresStore", "StoreInterface",
                "TerminalUI",
                "TeleIngest",
                "ThresholdRules",
                "Vitals",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ThresholdRulesTests",
            dependencies: ["ThresholdRules", "Vitals"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TelekitSimulationTests",
            dependencies: ["RuleMeasurement", "TelekitSimulation", "ThresholdRules", "Vitals"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VitalsTests",
            dependencies: ["Vitals"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TeleIngestTests",
            dependencies: [
                "ServiceConfiguration",
                "BrokerSettings",
                "DevicePayloads",
                "FHIRExport",
                "IngestWorker",
                "MQTT",
                "MonitoringRecords",
                "PostgresStore",
                "StoreInterface",
                "TeleIngest",
                "ThresholdRules",
                "Vitals",
                "tele-ingest",
                "telekit-sim",
                "nurse-console",
                "TelekitSimulation",
                "FollowUp",
                "ConsoleScreens",
                "TerminalUI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
