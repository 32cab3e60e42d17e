// Placeholder until the gateway executable lands.
print("gateway: not built yet")
