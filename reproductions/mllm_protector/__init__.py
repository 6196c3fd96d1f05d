"""mllm_protector."""
