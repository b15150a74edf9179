"""``python -m prevnet`` runs the command line."""

from prevnet.cli import main

main()
