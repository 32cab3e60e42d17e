print("load-client: under construction")
