"""The composition root of prevnet: command line, settings, and the wiring of every process.

The only package that reads settings files and environment variables; everything else receives
typed settings and collaborators as arguments.
"""
