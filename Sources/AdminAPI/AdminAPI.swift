// The AdminAPI module; see Package.swift for its job.
