// The Routing module; see Package.swift for its job.
