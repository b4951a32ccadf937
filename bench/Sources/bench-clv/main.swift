print("bench-clv: not written yet")
