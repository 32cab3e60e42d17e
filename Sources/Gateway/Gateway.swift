// The Gateway module; see Package.swift for its job.
