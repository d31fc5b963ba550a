"""Services: the only code that touches the session. One module per process."""
