"""The domain core of prevnet: territories, partners, phenomenon alerts, routing and events.

Pure Python with no I/O, so that every rule about who may see what can be tested without a
network or a database. Storage adapters live in ``phenomena.storage`` and are the only part of this
package that imports SQLAlchemy; nothing pure imports them.
"""
