print("bench-kmeans: not written yet")
