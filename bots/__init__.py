"""The Matrix side of prevnet: the bot, its commands, rooms and membership on the homeserver.

Receives typed settings and collaborators from ``prevnet``; never imports ``bridge``.
"""
