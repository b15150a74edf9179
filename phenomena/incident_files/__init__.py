"""Reading analysts' incident files as they are delivered: separators, dates, types, reports.

Pure text in, rows and problems out; opening files (and spreadsheets) is the CLI's business.
"""
