"""Figures of analysis results (matplotlib, imported only when a figure is drawn)."""
