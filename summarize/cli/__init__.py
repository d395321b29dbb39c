"""The command line: parses, calls one function per command, prints."""
