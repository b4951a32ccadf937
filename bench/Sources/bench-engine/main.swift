print("bench-engine: not written yet")
