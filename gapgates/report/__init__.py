"""Rendering a run: report.json (built in one place), Markdown, HTML with charts, the schema."""
