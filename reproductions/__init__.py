"""Reproduction modules: one per attack, defense or benchmark, loaded from the checkout by lvlmkb."""
