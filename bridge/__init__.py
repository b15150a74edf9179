"""The toolbox bridge: keeps the partners' Discourse forum in step with the chat.

Alerts whose TLP allows it become topics, replies travel both ways between a bulletin's thread
and its topic, partner organisations are Discourse groups, and new toolbox material is
announced in chat. Every Discourse call goes through one rate-limited client; every change
comes from the outbox, so nothing is lost when Discourse is slow or down.
"""
