// Placeholder until the feature-preprocessor executable lands.
print("feature-preprocessor: not built yet")
