"""The agent console: a Starlette app (app.py) with its templates and static files.

`crmbot console` serves it alone; `crmbot run` supervises it beside Rasa and the actions.
"""
