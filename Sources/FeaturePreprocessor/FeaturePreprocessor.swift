// The FeaturePreprocessor module; see Package.swift for its job.
