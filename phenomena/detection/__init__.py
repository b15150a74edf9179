"""Phenomenon detection: finding emerging waves in incident reports.

Pure computation on arrays (NumPy, and Numba for the inner loops); no I/O.
"""
