"""The seminar app's pieces: settings and levers, one live run, the picture, the plots, the page.

`uv run solara run seminar/app.py` serves the page; docs/seminar.md is the instructors' guide.
"""
