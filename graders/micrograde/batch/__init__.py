"""Batch grading: many submissions from a folder or zip, graded in parallel, resumably,
into a gradebook (`micrograde batch`)."""
