"""Citizen prevention capsules: a CLEAR or GREEN alert turned into calm, one-tip resident posts.

Pure: drafting from gettext templates (``drafting``), the parts and their limits (``capsule``),
and the content screen run before anything is published (``screen``). Rendering pictures and
PDFs is an adapter's work (``prevnet.capsule_media``).
"""
