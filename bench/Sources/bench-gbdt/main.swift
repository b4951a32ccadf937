print("bench-gbdt: not written yet")
