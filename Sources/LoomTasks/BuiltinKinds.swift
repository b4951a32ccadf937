import LoomCore

/// Every built-in kind Loom ships, by name.
public enum BuiltinKinds {
    public static let all: [KindDescriptor] = [
        Concat.descriptor,
        Sample.descriptor,
        Ingest.descriptor,
        CustomerFeaturesKind.descriptor,
        CLVKind.descriptor,
        Generate.descriptor,
        IngestEvents.descriptor,
        SessionFeaturesKind.descriptor,
        CleanKind.descriptor,
        Train.descriptor,
        Predict.descriptor,
        ReportKind.descriptor,
        Evaluate.descriptor,
        KMeansKind.descriptor,
        ABTestKind.descriptor,
        FunnelKind.descriptor,
        SQLKind.descriptor,
        CohortKind.descriptor,
        RecommendKind.descriptor,
    ]

    /// Made once, its kinds on first use (see `KindRegistry.identity`: the graph cache is keyed by
    /// this build, which fixes every built-in kind).
    public static let registry = KindRegistry(identity: "built-in kinds of this build") { all }
}
