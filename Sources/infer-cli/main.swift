// Placeholder until the infer-cli executable lands.
print("infer-cli: not built yet")
