"""The desktop app: a thin PySide6 layer over the Qt-free listener and assistant.

``bridge.py`` is the only way in and out of the core: the listener's events (from its worker
thread) and the assistant's turns (from its thread) become Qt signals queued to the GUI thread.
"""
