// The FeaturePipeline module; see Package.swift for its job.
