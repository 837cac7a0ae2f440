"""Structure-aware fuzzing of the readers: mutations of real files (mutations) and the oracle (oracle)."""
