"""llama_guard_3_vision."""
