// infer-cli's logic; see Package.swift.
