"""Citizen capsules as pictures, print and feeds: image cards, A4 poster and letter PDFs, Atom.

The words come from ``phenomena.capsules``; this adapter only lays them out with Pillow,
reportlab, segno and feedgen, measuring rendered text so every box fits.
"""
