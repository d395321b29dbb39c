"""Beside the pipeline: briefings on a timetable, an Atom feed and e-mail."""
