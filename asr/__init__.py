"""Offline Mandarin speech recognition for Lingyin: features, model runner, decoders.

Nothing in this package imports Qt; it takes plain values and returns plain dataclasses.
"""
